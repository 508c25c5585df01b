// Printing and recording results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SectionResult } from './section.js';

const formatRate = (n: number): string =>
  Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - s.length));
const padStart = (s: string, n: number): string => ' '.repeat(Math.max(0, n - s.length)) + s;

/** The table of one section, its ratios and targets, and its notes, as text. */
export function formatSection(result: SectionResult): string {
  const lines: string[] = [`## ${result.section}: ${result.description}`, ''];
  const header = ['case', 'subject', 'task', 'ops/s (median)', 'min..max of rounds'];
  const rows = result.rows.map((r) => [
    r.id,
    r.subject,
    r.task,
    formatRate(r.opsPerSec),
    `${formatRate(Math.min(...r.rounds))}..${formatRate(Math.max(...r.rounds))}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 3 || i === 4 ? padStart(c, widths[i]!) : pad(c, widths[i]!)))
      .join('  ');
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) lines.push(line(r));
  if (result.ratios.length > 0) {
    lines.push('');
    for (const q of result.ratios) {
      const verdict =
        q.target === undefined ? '' : `  target >= ${q.target}: ${q.met ? 'MET' : 'MISSED'}`;
      lines.push(`${pad(q.name, 44)} ${padStart(q.value.toFixed(2), 6)}x${verdict}`);
    }
  }
  if (result.notes.length > 0) {
    lines.push('');
    for (const n of result.notes) lines.push(`- ${n}`);
  }
  return lines.join('\n');
}

/** Writes the whole run as JSON. */
export function writeJson(path: string, document: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(document, null, 2) + '\n');
}
