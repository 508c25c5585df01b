/**
 * `@signet/client/node`: the parts of the client that need Node: the file credential store
 * (and its directory), and the Launchpad desktop defaults (OS and host name), installed on
 * import so that `desktopConsumerName()` and `launchpadClient()` work without arguments.
 * The `signet` CLI is `@signet/client/cli`.
 * @packageDocumentation
 */
export type {
  DesktopConsumerNameOptions,
  LaunchpadClientOptions,
} from './launchpad.js';
export { desktopConsumerName, launchpadClient } from './launchpad.js';
export type { FileCredentialStoreOptions } from './store.js';
export { defaultConfigDir, FileCredentialStore } from './store.js';
