// The person at the terminal: prompts, a spinner while waiting, the browser.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

let lines: Interface | undefined;
const waiting: ((line: string | undefined) => void)[] = [];
const queued: string[] = [];
let closed = false;

// One reader for the whole run: a second readline on the same stdin would lose the lines
// the first had buffered (piped input arrives all at once).
function reader(): void {
  if (lines !== undefined) return;
  lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queued.push(line);
  });
  lines.once('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
}

/** Asks on stderr and reads one line; `undefined` once stdin has ended. */
export function prompt(question: string): Promise<string | undefined> {
  process.stderr.write(question);
  reader();
  if (queued.length > 0) return Promise.resolve(queued.shift());
  if (closed) return Promise.resolve(undefined);
  return new Promise((resolve) => waiting.push(resolve));
}

/** Stops reading stdin, so that the process can end when its work is done. */
export function stopReading(): void {
  lines?.close();
  process.stdin.pause();
  process.stdin.unref?.();
}

export function startSpinner(text: string): () => void {
  if (!process.stderr.isTTY) return () => undefined;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = setInterval(() => {
    process.stderr.write(`\r${frames[i++ % frames.length]} ${text}...`);
  }, 100);
  return () => {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  };
}

function onPath(name: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Opening a browser is a convenience: any failure leaves the printed URL to the person. */
export function openBrowser(url: string): boolean {
  if (process.env['SIGNET_NO_BROWSER']) return false;
  let command: string | undefined;
  let args: string[] = [url];
  const browser = process.env['BROWSER'];
  if (browser) command = browser;
  else if (process.platform === 'darwin') command = 'open';
  else if (process.platform === 'win32') {
    command = 'cmd';
    args = ['/c', 'start', '""', url];
  } else if (
    // Without a display, xdg-open falls back to a text browser that would take the terminal.
    (process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']) &&
    onPath('xdg-open')
  ) {
    command = 'xdg-open';
  }
  if (command === undefined) return false;
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
