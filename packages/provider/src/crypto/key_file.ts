import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { MIN_SECRET_KEY_LENGTH } from '../config.js';
import { ProviderError } from '../errors.js';

/** Name of the generated key file inside the data folder. */
export const KEY_FILE_NAME = 'secret.key';

/**
 * The master key that encrypts secrets at rest: `configured` (`SIGNET_SECRET_KEY`) when set,
 * otherwise the content of `<dataDir>/secret.key`, generated (32 random bytes, mode 0600) on
 * first use and reused afterwards. Refuses a key file that others may read.
 *
 * @example const master = loadMasterKey(config.secretKey, config.dataDir);
 */
export function loadMasterKey(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = join(dataDir, KEY_FILE_NAME);
  let existing = readKeyFile(file);
  if (existing === undefined) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Write aside, then link into place: link fails if the file exists, so two processes
    // starting at once agree on one key and nobody ever reads a half-written file.
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
    existing = readKeyFile(file);
    if (existing === undefined) throw new ProviderError('ERR_SECRET_KEY', `Cannot create ${file}.`);
  }
  return existing;
}

function readKeyFile(file: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ProviderError(
      'ERR_SECRET_KEY',
      `${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${file}\`.`,
    );
  }
  const key = readFileSync(file, 'utf8').trim();
  if (key.length < MIN_SECRET_KEY_LENGTH) {
    throw new ProviderError('ERR_SECRET_KEY', `${file} does not hold a usable key.`);
  }
  return key;
}
