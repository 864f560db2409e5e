/** Plain-text output shared by the benchmarks: aligned tables and one verdict line per target. */

/** A column of numbers reads best right-aligned; text left-aligned. */
function isNumeric(cell: string): boolean {
  return /^[-+]?[\d.,]+(\s?(ms|s|%|x|\/s|rps|tasks\/s))?$/.test(cell.trim());
}

/** A table with a header rule, columns as wide as their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[], alignNumbers: boolean): string =>
    widths
      .map((width, column) => {
        const cell = cells[column] ?? '';
        return alignNumbers && isNumeric(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [
    line(headers, false),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map((row) => line(row, true)),
  ].join('\n');
}

/** Milliseconds with a precision that suits their size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function seconds(valueMs: number): string {
  return Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(2)} s` : 'n/a';
}

/** A target the benchmark checks: `passed` is undefined when the run did not measure it. */
export interface Verdict {
  target: string;
  measured: string;
  passed: boolean | undefined;
}

export function formatVerdict(verdict: Verdict): string {
  const outcome = verdict.passed === undefined ? 'SKIP' : verdict.passed ? 'PASS' : 'FAIL';
  return `${outcome}  ${verdict.target} (measured: ${verdict.measured})`;
}

/** Prints the verdicts; true when none failed (skipped ones do not count as failures). */
export function printVerdicts(verdicts: readonly Verdict[]): boolean {
  process.stdout.write(`\n${verdicts.map(formatVerdict).join('\n')}\n`);
  return verdicts.every((verdict) => verdict.passed !== false);
}

/** Progress goes to stderr so stdout holds only the results. */
export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
}
