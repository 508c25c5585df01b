import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// OWASP's scrypt floor (N=2^17 r=8 p=1) costs ~0.3 s; 2^15 is the classic interactive
// setting (~32 MiB, tens of milliseconds) and keeps logins responsive.
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(
  password: string,
  salt: Buffer,
  logN: number,
  r: number,
  p: number,
): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    // Node's default maxmem (32 MiB) is just under what N=2^15, r=8 needs.
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_BYTES,
      { N, r, p, maxmem: 256 * N * r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/**
 * Hashes a password with scrypt and a fresh 16-byte salt, as a PHC string
 * `$scrypt$ln=15,r=8,p=1$SALT$HASH` (base64, no padding).
 *
 * @example const stored = await hashPassword('correct horse');
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, LOG_N, R, P);
  return `$scrypt$ln=${LOG_N},r=${R},p=${P}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Whether `password` matches a hash from {@link hashPassword}; the comparison is constant-time.
 * A malformed hash never matches.
 *
 * @example if (await verifyPassword(input, user.passwordHash)) { ... }
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PHC.exec(stored);
  if (m === null) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Parameters come from our own database, but never let a row make us allocate gigabytes.
  if (logN < 10 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const actual = await derive(password, Buffer.from(m[4]!, 'base64'), logN, r, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as a real verification, for unknown users, so that a login answer
 * does not tell whether the name exists.
 */
export async function verifyPasswordAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummy);
  return false;
}
