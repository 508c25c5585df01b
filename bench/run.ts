// `npm run bench [-- options]`: runs the bench sections in one process, prints a table per
// section and writes the whole run to bench/results/latest.json.
//
//   --only core[,other]    sections to run: core, server, provider (default: all)
//   --case signet          only cases whose id contains this (repeatable, comma-separated)
//   --rounds 5             timed rounds per case (median reported)
//   --round-ms 300         length of a round per case
//   --warmup-ms 300        untimed warm-up per case
//   --out <path>           JSON output (default bench/results/latest.json)
//
// Section "provider" (HTTP load; the options above other than --only/--case do not apply):
//   --load-rounds 3        interleaved rounds per case (median reported)
//   --load-ms 8000         timed part of each load run
//   --load-warmup-ms 2000  untimed load before each timed part
//   --connections 50       autocannon connections
//   --pipelining 1         requests in flight per connection
//   --load-rate <n>        fixed req/s instead of saturation (diagnostic: CPU per request at
//                          equal load; the ratios are then meaningless)
//   --provider-cpu-prof <dir>  run the provider under `node --cpu-prof`, profiles into <dir>
//   SIGNET_BENCH_BASELINE_DIST=<dir>  also run a second build (its `.../dist/src/`) side by
//                          side, as case provider.whoami-signed-baseline: a change's cost
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { coreSection } from './lib/core_section.js';
import { LOAD_DEFAULTS, type LoadOptions, providerLoadSection } from './lib/provider_load.js';
import { formatSection, writeJson } from './lib/report.js';
import type { RunOptions, Section, SectionResult } from './lib/section.js';
import { serverSection } from './lib/server_section.js';

/** Every section, in run order. */
const sectionsFor = (load: LoadOptions): readonly Section[] => [
  coreSection,
  serverSection,
  providerLoadSection(load),
];

const list = (values: readonly string[] | undefined): string[] =>
  (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');

function positiveInt(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} wants a positive integer`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      case: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      'round-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      out: { type: 'string' },
      'load-rounds': { type: 'string' },
      'load-ms': { type: 'string' },
      'load-warmup-ms': { type: 'string' },
      connections: { type: 'string' },
      pipelining: { type: 'string' },
      'load-rate': { type: 'string' },
      'provider-cpu-prof': { type: 'string' },
    },
  });
  const profileDir = values['provider-cpu-prof'];
  const load: LoadOptions = {
    rounds: positiveInt(values['load-rounds'], LOAD_DEFAULTS.rounds, '--load-rounds'),
    durationMs: positiveInt(values['load-ms'], LOAD_DEFAULTS.durationMs, '--load-ms'),
    warmupMs: positiveInt(values['load-warmup-ms'], LOAD_DEFAULTS.warmupMs, '--load-warmup-ms'),
    connections: positiveInt(values.connections, LOAD_DEFAULTS.connections, '--connections'),
    pipelining: positiveInt(values.pipelining, LOAD_DEFAULTS.pipelining, '--pipelining'),
    providerNodeArgs:
      profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`],
    rate:
      values['load-rate'] === undefined
        ? undefined
        : positiveInt(values['load-rate'], 1, '--load-rate'),
  };
  const SECTIONS = sectionsFor(load);
  const only = list(values.only);
  const unknown = only.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`,
    );
  }
  const options: RunOptions = {
    rounds: positiveInt(values.rounds, 5, '--rounds'),
    roundMs: positiveInt(values['round-ms'], 300, '--round-ms'),
    warmupMs: positiveInt(values['warmup-ms'], 300, '--warmup-ms'),
    cases: list(values.case),
    log: (line) => process.stderr.write(line + '\n'),
  };
  const out = values.out ?? fileURLToPath(new URL('../results/latest.json', import.meta.url));

  const results: SectionResult[] = [];
  for (const section of SECTIONS) {
    if (only.length > 0 && !only.includes(section.name)) continue;
    options.log(`bench: ${section.name} (${section.description})`);
    const result = await section.run(options);
    results.push(result);
    console.log(formatSection(result) + '\n');
  }

  const cpu = cpus()[0];
  writeJson(out, {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu === undefined ? 'unknown' : `${cpu.model} x${cpus().length}`,
    options: { rounds: options.rounds, roundMs: options.roundMs, warmupMs: options.warmupMs },
    load: only.length === 0 || only.includes('provider') ? load : undefined,
    sections: results,
  });
  console.log(`bench: results written to ${out}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
