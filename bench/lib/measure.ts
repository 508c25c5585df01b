// Interleaved micro-benchmark rounds: every case runs once per round, in a rotated order,
// so that machine noise (other processes, frequency changes, GC) is spread over all cases
// instead of landing on whichever ran last. The median round is the result.
import type { RunOptions } from './section.js';

/** One synchronous operation to time. */
export interface MicroCase {
  readonly id: string;
  readonly run: () => unknown;
}

/** Rates of one case. */
export interface Rates {
  readonly median: number;
  readonly rounds: readonly number[];
}

// Results go somewhere observable so that the engine cannot drop the work.
let sink: unknown;

/** Batches long enough that reading the clock costs nothing next to them (about 2 ms). */
const BATCH_NS = 2_000_000n;

function timeBatches(run: () => unknown, batch: number, budgetNs: bigint): [number, bigint] {
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let i = 0; i < batch; i++) sink = run();
    ops += batch;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budgetNs);
  return [ops, elapsed];
}

/** Warms a case up and finds a batch size of about {@link BATCH_NS}. */
function calibrate(run: () => unknown, warmupMs: number): number {
  const deadline = process.hrtime.bigint() + BigInt(warmupMs) * 1_000_000n;
  let batch = 1;
  for (;;) {
    const [ops, ns] = timeBatches(run, batch, 0n);
    if (ns < BATCH_NS) batch = Math.min(batch * 2, 1 << 24);
    else batch = Math.max(1, Math.round((ops * Number(BATCH_NS)) / Number(ns)));
    if (process.hrtime.bigint() >= deadline) return batch;
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Measures every case in `options.rounds` interleaved rounds of `options.roundMs` each. */
export function measureInterleaved(
  cases: readonly MicroCase[],
  options: RunOptions,
): Map<string, Rates> {
  const batches = new Map<string, number>();
  for (const c of cases) {
    batches.set(c.id, calibrate(c.run, options.warmupMs));
    options.log(`  warmed up ${c.id}`);
  }
  const rounds = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const budget = BigInt(options.roundMs) * 1_000_000n;
  for (let r = 0; r < options.rounds; r++) {
    // Rotate, and reverse every other round, so that no case always follows the same one.
    const order = cases.map((_, i) => cases[(i + r) % cases.length]!);
    if (r % 2 === 1) order.reverse();
    for (const c of order) {
      const [ops, ns] = timeBatches(c.run, batches.get(c.id)!, budget);
      rounds.get(c.id)!.push((ops * 1e9) / Number(ns));
    }
    options.log(`  round ${r + 1}/${options.rounds} done`);
  }
  if (sink === rounds) options.log('');
  return new Map(
    cases.map((c) => {
      const rs = rounds.get(c.id)!;
      return [c.id, { median: median(rs), rounds: rs }];
    }),
  );
}
