// The Launchpad helpers with their Node defaults: the desktop (/etc/os-release, else the OS
// type) and the computer (the host name) of desktopConsumerName, which launchpadClient uses
// when no consumer key is given. The rest is launchpad_portable.ts, unchanged.
import { readFileSync } from 'node:fs';
import { hostname, type } from 'node:os';
import { setDesktopDefaults } from './launchpad_portable.js';

export type {
  DesktopConsumerNameOptions,
  LaunchpadClientOptions,
  WaitOptions,
} from './launchpad_portable.js';
export {
  desktopConsumerName,
  isDesktopConsumerName,
  LAUNCHPAD_REALM,
  launchpadClient,
  waitForAccessToken,
} from './launchpad_portable.js';

function osName(): string {
  try {
    const m = /^NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // Not Linux, or a minimal container: the OS type will do.
  }
  return type();
}

setDesktopDefaults({ desktop: osName, computer: hostname });
