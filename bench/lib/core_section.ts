// Section "core": signing the typical request into an Authorization header and verifying
// one, with @signet/core and with the npm peers, against the floor of one node:crypto
// HMAC-SHA1 over a precomputed base string.
import { createHmac } from 'node:crypto';
import { signatureBaseString, signingKey, signRequest } from '@signet/core';
import { type MicroCase, measureInterleaved } from './measure.js';
import type { Ratio, Row, RunOptions, Section, SectionResult } from './section.js';
import { SIGNERS, type Signer, signet } from './signers.js';
import { TYPICAL, TYPICAL_DESCRIPTION, TYPICAL_SIGN } from './typical_request.js';

/** Targets of issue 2. */
export const TARGETS = {
  signVsFastestPeer: 2.5,
  signVsRawHmac: 0.4,
  verifyVsRawHmac: 0.35,
} as const;

/** The floor's input: the typical request's base string and key, computed once. */
function floorInputs(): { baseString: string; key: string } {
  const { baseString } = signRequest({
    ...TYPICAL_SIGN,
    nonce: TYPICAL.fixedNonce,
    timestamp: TYPICAL.fixedTimestamp,
  });
  const key = signingKey({
    consumerSecret: TYPICAL.consumerSecret,
    tokenSecret: TYPICAL.tokenSecret,
  });
  return { baseString, key };
}

const signatureIn = (header: string): string => {
  const m = /oauth_signature="([^"]*)"/.exec(header);
  return m === null ? '' : decodeURIComponent(m[1]!);
};

/**
 * Before any timing: every signer's header (fixed nonce and timestamp) verifies with
 * @signet/core and with the signer's own verify row, carries the same signature as every
 * other signer's and as the floor's HMAC, and a header with a wrong signature fails every
 * verify row. Fresh headers (random nonce, current time) verify with @signet/core too.
 * Throws on the first mismatch: a wrong result must never be timed.
 */
export function checkCorrectness(signers: readonly Signer[]): void {
  const { baseString, key } = floorInputs();
  const expected = createHmac('sha1', key).update(baseString).digest('base64');
  const canonical = signatureBaseString(TYPICAL.method, TYPICAL.url, [
    ['oauth_consumer_key', TYPICAL.consumerKey],
    ['oauth_nonce', TYPICAL.fixedNonce],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', TYPICAL.fixedTimestamp],
    ['oauth_token', TYPICAL.token],
    ['oauth_verifier', TYPICAL.verifier],
    ['oauth_version', '1.0'],
    ['include_entities', 'true'],
    ...TYPICAL.bodyParams,
  ]);
  if (canonical !== baseString) throw new Error(`bench: base string differs:\n${baseString}`);
  for (const s of signers) {
    const fixed = s.signFixed();
    const problems: string[] = [];
    if (signatureIn(fixed) !== expected) problems.push(`signature is not ${expected}`);
    if (!signet.verify(fixed)) problems.push('@signet/core does not verify its header');
    if (!s.verify(fixed)) problems.push('its own verify row rejects its header');
    const wrong = fixed.replace(/oauth_signature="[^"]*"/, 'oauth_signature="AAAA"');
    if (signet.verify(wrong) || s.verify(wrong)) problems.push('a wrong signature verifies');
    const fresh = s.sign();
    if (signatureIn(fresh) === expected) problems.push('sign() did not use a fresh nonce');
    if (!signet.verify(fresh)) problems.push('@signet/core does not verify a fresh header');
    if (problems.length > 0) {
      throw new Error(
        `bench: ${s.subject} fails the correctness check: ${problems.join('; ')}\n${fixed}`,
      );
    }
  }
}

/**
 * A header as a server holds it: a flat string decoded from the socket's bytes, not the
 * rope of concatenations a signer returns, which V8 reads more slowly.
 */
const asReceived = (header: string): string => Buffer.from(header, 'latin1').toString('latin1');

function ratio(name: string, value: number, target?: number): Ratio {
  return target === undefined ? { name, value } : { name, value, target, met: value >= target };
}

export const coreSection: Section = {
  name: 'core',
  description: 'sign the typical request into an Authorization header, and verify one',
  async run(options: RunOptions): Promise<SectionResult> {
    checkCorrectness(SIGNERS);
    options.log('core: correctness check passed (every signer verifies with @signet/core)');

    const { baseString, key } = floorInputs();
    const cases: (MicroCase & Omit<Row, 'opsPerSec' | 'rounds'>)[] = [];
    for (const s of SIGNERS) {
      cases.push({
        id: `core.${s.id}.sign`,
        subject: s.subject,
        task: 'sign',
        measures: s.signMeasures,
        run: s.sign,
      });
    }
    for (const s of SIGNERS) {
      const header = asReceived(s.signFixed());
      cases.push({
        id: `core.${s.id}.verify`,
        subject: s.subject,
        task: 'verify',
        measures: s.verifyMeasures,
        run: () => s.verify(header),
      });
    }
    cases.push({
      id: 'core.node-crypto.hmac-sha1',
      subject: 'node:crypto',
      task: 'floor',
      measures: `createHmac('sha1', key).update(base string).digest('base64'), base string precomputed (${baseString.length} chars)`,
      run: () => createHmac('sha1', key).update(baseString).digest('base64'),
    });
    const selected =
      options.cases.length === 0
        ? cases
        : cases.filter((c) => options.cases.some((f) => c.id.includes(f)));

    const rates = measureInterleaved(selected, options);
    const rows: Row[] = selected.map(({ run: _run, ...row }) => {
      const r = rates.get(row.id)!;
      return { ...row, opsPerSec: r.median, rounds: r.rounds };
    });

    const rate = (id: string): number | undefined => rows.find((r) => r.id === id)?.opsPerSec;
    const ratios: Ratio[] = [];
    const signetSign = rate('core.signet.sign');
    const signetVerify = rate('core.signet.verify');
    const floor = rate('core.node-crypto.hmac-sha1');
    const fastestPeer = (task: string): Row | undefined =>
      rows
        .filter((r) => r.task === task && r.subject !== signet.subject)
        .sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
    const peerSign = fastestPeer('sign');
    const peerVerify = fastestPeer('verify');
    if (signetSign !== undefined && peerSign !== undefined) {
      ratios.push(
        ratio(
          `sign vs fastest peer (${peerSign.subject})`,
          signetSign / peerSign.opsPerSec,
          TARGETS.signVsFastestPeer,
        ),
      );
    }
    if (signetSign !== undefined && floor !== undefined) {
      ratios.push(ratio('sign vs raw HMAC-SHA1', signetSign / floor, TARGETS.signVsRawHmac));
    }
    if (signetVerify !== undefined && floor !== undefined) {
      ratios.push(ratio('verify vs raw HMAC-SHA1', signetVerify / floor, TARGETS.verifyVsRawHmac));
    }
    if (signetVerify !== undefined && peerVerify !== undefined) {
      ratios.push(
        ratio(
          `verify vs fastest peer (${peerVerify.subject})`,
          signetVerify / peerVerify.opsPerSec,
        ),
      );
    }

    return {
      section: 'core',
      description: coreSection.description,
      rows,
      ratios,
      notes: [`request: ${TYPICAL_DESCRIPTION}`, ...rows.map((r) => `${r.id}: ${r.measures}`)],
    };
  },
};
