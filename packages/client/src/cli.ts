#!/usr/bin/env node
// The `signet` command: log in to OAuth 1.0a servers, then call and sign requests. Each
// command lives in cli/commands/; this file dispatches and turns failures into exit codes.
import { OAuthError } from '@signet/core';
import { callCommand } from './cli/commands/call.js';
import { loginCommand } from './cli/commands/login.js';
import { logoutCommand, profilesCommand } from './cli/commands/profiles.js';
import { signCommand } from './cli/commands/sign.js';
import { closest, EXIT, NoCredentialsError, UsageError } from './cli/common.js';
import { COMMAND_HELP, HELP } from './cli/help.js';
import { ClientError, OAuthProtocolError } from './errors.js';
import { type CredentialStore, FileCredentialStore } from './store.js';

const COMMANDS: Record<string, (args: string[], store: CredentialStore) => Promise<number>> = {
  login: loginCommand,
  call: callCommand,
  sign: signCommand,
  profiles: profilesCommand,
  logout: logoutCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMAND_HELP[topic] === undefined) throw unknownCommand(topic);
    process.stdout.write(topic !== undefined ? COMMAND_HELP[topic]! : HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    process.stdout.write('signet 0.1.0\n');
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  if (run === undefined) throw unknownCommand(command);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(COMMAND_HELP[command] ?? HELP);
    return EXIT.ok;
  }
  return run(rest, new FileCredentialStore());
}

function unknownCommand(name: string): UsageError {
  const near = closest(name, Object.keys(COMMANDS));
  return new UsageError(
    `Unknown command "${name}"${near === undefined ? '' : ` (did you mean ${near}?)`}. Run signet --help.`,
  );
}

function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof NoCredentialsError) return EXIT.noCredentials;
  if (e instanceof ClientError) {
    switch (e.code) {
      case 'ERR_NETWORK':
        return EXIT.network;
      case 'ERR_OAUTH_DECLINED':
      case 'ERR_OAUTH_EXPIRED':
      case 'ERR_OAUTH_TIMEOUT':
      case 'ERR_OAUTH_VERIFIER':
        return EXIT.declined;
      case 'ERR_STORE':
        return EXIT.failure;
      default:
        return EXIT.refused;
    }
  }
  if (e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_ARG_VALUE') {
    return EXIT.usage;
  }
  if (e instanceof OAuthError) return EXIT.usage;
  return EXIT.failure;
}

function messageOf(e: unknown): string {
  if (e instanceof OAuthProtocolError && e.code === 'ERR_OAUTH_DECLINED') {
    return `Authorization was declined: ${e.body.trim() || 'the server refused the request token.'}`;
  }
  if (e instanceof OAuthProtocolError && e.code === 'ERR_OAUTH_EXPIRED') {
    return `The request token expired before it was authorized; run signet login again.`;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const code = exitCodeOf(e);
    process.stderr.write(`signet: ${messageOf(e)}\n`);
    if (code === EXIT.failure && process.env['SIGNET_DEBUG'] && e instanceof Error) {
      process.stderr.write(`${e.stack}\n`);
    }
    process.exitCode = code;
  },
);
