// What a bench section is and what it reports. A section measures one thing (the core's
// sign and verify rates, later the server's resource endpoint, a provider HTTP load run)
// and returns rows and targets in one shape, so that run.ts prints and records them all.

/** Options every section gets from the command line. */
export interface RunOptions {
  /** Untimed time per case before the rounds, in milliseconds. */
  readonly warmupMs: number;
  /** Timed rounds per case; the median round is reported. */
  readonly rounds: number;
  /** Length of one timed round per case, in milliseconds. */
  readonly roundMs: number;
  /** Only cases whose id contains one of these (all when empty). */
  readonly cases: readonly string[];
  /** Progress output (stderr). */
  readonly log: (line: string) => void;
}

/** One measured thing. */
export interface Row {
  /** Stable id, `<section>.<case>`, for filtering and for comparing runs. */
  readonly id: string;
  /** Who does the work: `@signet/core`, a peer package, `node:crypto`. */
  readonly subject: string;
  /** What the work is, e.g. `sign` or `verify`. */
  readonly task: string;
  /** Exactly what one operation includes. */
  readonly measures: string;
  /** Median rate over the rounds. */
  readonly opsPerSec: number;
  /** Each round's rate, in the order run. */
  readonly rounds: readonly number[];
}

/** A ratio between two rows of the same run, optionally with a target. */
export interface Ratio {
  readonly name: string;
  readonly value: number;
  /** The target the value must reach, if the issue sets one. */
  readonly target?: number;
  readonly met?: boolean;
}

/** What a section hands back. */
export interface SectionResult {
  readonly section: string;
  readonly description: string;
  readonly rows: readonly Row[];
  readonly ratios: readonly Ratio[];
  /** Facts a reader needs (inputs, versions), printed under the table. */
  readonly notes: readonly string[];
}

/** A bench section: `npm run bench -- --only <name>` runs just this one. */
export interface Section {
  readonly name: string;
  readonly description: string;
  run(options: RunOptions): Promise<SectionResult>;
}
