/** What a masked value shows in a task log. */
export const MASK = '********';

/**
 * Lines of a multi-line value shorter than this (once trimmed) are not masked on their own: a
 * lone `{` or `-----` would mask ordinary output everywhere and gives nothing of the value away.
 */
export const MIN_MASKED_LINE_CHARS = 4;

/**
 * The texts to mask for some sensitive values: each value whole, and each line of a multi-line
 * value on its own (trimmed), because output reaches the log one line at a time, so a
 * certificate or a JSON key file printed by a script never matches the whole value.
 */
export function maskedFragments(secrets: readonly string[]): string[] {
  const fragments = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    fragments.add(secret);
    if (!/[\r\n]/.test(secret)) continue;
    for (const line of secret.split(/\r?\n|\r/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_MASKED_LINE_CHARS) fragments.add(trimmed);
    }
  }
  // Longest first, so a fragment inside a longer one never leaves the rest of it showing.
  return [...fragments].sort((a, b) => b.length - a.length);
}

/** Replaces every sensitive value (and every line of a multi-line one) in a log message. */
export function secretMasker(secrets: readonly string[]): (message: string) => string {
  const fragments = maskedFragments(secrets);
  if (fragments.length === 0) return (message) => message;
  return (message) => fragments.reduce((text, fragment) => text.split(fragment).join(MASK), message);
}

/** The longest text masking looks for: a line kept that much past a cut still masks whole. */
export function longestMaskedFragment(secrets: readonly string[]): number {
  return maskedFragments(secrets)[0]?.length ?? 0;
}
