/** Promise rejections carry Errors; anything else thrown is wrapped so its text survives. */
export function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
