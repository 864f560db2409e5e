/** Timestamps travel as ISO-8601 UTC strings; an absent one is the empty string (proto3 default). */
export function isoOrEmpty(value: Date | null | undefined): string {
  return value ? value.toISOString() : '';
}
