// signet profiles and signet logout: what is saved, and forgetting it.
import type { CredentialStore } from '../../store.js';
import { EXIT, NoCredentialsError, parse, UsageError } from '../common.js';

export async function profilesCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError('profiles takes no arguments.');
  const all = await store.list();
  const rows = all.map((c) => ({
    profile: c.profile,
    server: c.server,
    consumerKey: c.consumerKey,
    signatureMethod: c.signatureMethod,
    origins: c.origins,
    savedAt: c.savedAt,
  }));
  if (values.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return EXIT.ok;
  }
  if (rows.length === 0) {
    process.stderr.write('No saved credentials. Run signet login <server> first.\n');
    return EXIT.ok;
  }
  const table = [
    ['PROFILE', 'SERVER', 'CONSUMER', 'METHOD', 'SAVED'],
    ...rows.map((r) => [r.profile, r.server, r.consumerKey, r.signatureMethod, r.savedAt]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const row of table) {
    process.stdout.write(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    );
  }
  return EXIT.ok;
}

export async function logoutCommand(args: string[], store: CredentialStore): Promise<number> {
  const { values, positionals } = parse(args, { all: { type: 'boolean' } });
  if (values.all ? positionals.length > 0 : positionals.length !== 1) {
    throw new UsageError('logout takes one profile or server, or --all.');
  }
  const name = positionals[0];
  const all = await store.list();
  const gone = values.all
    ? all
    : all.filter((c) => c.profile === name || c.server === name || c.origins[0] === name);
  if (gone.length === 0) throw new NoCredentialsError(`No saved profile "${name}".`);
  for (const c of gone) {
    await store.delete(c.server, c.consumerKey);
    process.stderr.write(`Forgot profile "${c.profile}" (${c.server}).\n`);
  }
  process.stderr.write('The tokens stay valid on the server until you revoke them there.\n');
  return EXIT.ok;
}
