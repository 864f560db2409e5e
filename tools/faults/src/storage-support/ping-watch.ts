/** One ping: when it was sent and what came back ('HTTP 200', 'HTTP 503', or the network error). */
export interface Ping {
  at: number;
  outcome: string;
}

/**
 * Pings a gateway every `everyMs` in the background until stopped, keeping every answer: HAProxy
 * takes a gateway out after two failed checks, so a storage fault must not make a ping fail once.
 */
export function watchPing(
  url: string,
  everyMs = 250,
): { answeredSince(from: number): number; stop(): Promise<Ping[]> } {
  const pings: Ping[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        await response.arrayBuffer();
        pings.push({ at, outcome: `HTTP ${response.status}` });
      } catch (error) {
        pings.push({ at, outcome: (error as Error).message });
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    answeredSince: (from) => pings.filter((one) => one.at >= from).length,
    stop: async () => {
      running = false;
      await loop;
      return pings;
    },
  };
}
