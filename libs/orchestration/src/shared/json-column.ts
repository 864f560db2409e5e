/** JSON documents are stored in portable text columns; a corrupt one is a server fault, not user input. */
export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`stored ${what} is not valid JSON`);
  }
}
