import { parseArgs } from 'node:util';

/**
 * Options are `--name value` (strings; each benchmark converts and checks its own) or, with
 * `flag`, a bare `--name` that reads as 'true'.
 */
export type OptionSpec = Record<string, { default?: string; help: string; flag?: boolean }>;

export class UsageError extends Error {}

/**
 * Reads `npm run bench:x -- --name value ...`. Unknown options and `--help` print the usage
 * and exit, so a typo never silently runs a full-size benchmark.
 */
export function readOptions<S extends OptionSpec>(
  usage: string,
  spec: S,
  argv: readonly string[] = process.argv.slice(2),
): Record<keyof S, string | undefined> {
  const describe = (): string =>
    [
      usage,
      '',
      'Options:',
      ...Object.entries(spec).map(
        ([name, option]) =>
          `  --${(option.flag ? name : `${name} <v>`).padEnd(18)} ${option.help}${option.default === undefined ? '' : ` (default ${option.default})`}`,
      ),
    ].join('\n');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${describe()}\n`);
    process.exit(0);
  }
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(spec).map(([name, option]) => [
          name,
          option.flag
            ? { type: 'boolean' as const }
            : {
                type: 'string' as const,
                ...(option.default === undefined ? {} : { default: option.default }),
              },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    });
    return Object.fromEntries(
      Object.entries(values).map(([name, value]) => [name, value === true ? 'true' : value || undefined]),
    ) as Record<keyof S, string | undefined>;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${describe()}\n`);
    process.exit(1);
  }
}

/** A whole number within bounds, or a UsageError naming the option. */
export function wholeNumber(name: string, value: string | undefined, min: number, max: number): number {
  const parsed = Number(value);
  if (value === undefined || !Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${value})`);
  return parsed;
}

/** A comma-separated list of whole numbers, e.g. `--nodes 1,2,3`. */
export function wholeNumbers(name: string, value: string | undefined, min: number, max: number): number[] {
  const parts = (value ?? '').split(',').filter((part) => part.trim() !== '');
  if (parts.length === 0) throw new UsageError(`--${name} needs at least one number`);
  return parts.map((part) => wholeNumber(name, part.trim(), min, max));
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got ${value})`);
  return value as T;
}
