/** Polls a URL until it answers one of the expected statuses or the time runs out. */
export async function waitForPing(
  url: string,
  expected: readonly number[],
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (expected.includes(response.status)) return response.status;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer ${expected.join('/')} within ${timeoutMs} ms (last: ${last})`);
}
