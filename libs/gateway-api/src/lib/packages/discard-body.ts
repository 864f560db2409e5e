import type { IncomingMessage } from 'node:http';

export interface DiscardLimits {
  maxBytes: number;
  maxMs: number;
}

/** Enough for a client to finish a typical refused upload and read the answer; big enough to matter, small enough to bound. */
export const DEFAULT_DISCARD_LIMITS: DiscardLimits = { maxBytes: 64 * 1024 * 1024, maxMs: 15_000 };

/**
 * Reads and throws away the rest of a request body after the request was refused, so the client
 * can finish sending and then read the error answer (closing at once makes many clients fail with
 * EPIPE before they see the status). Past the limits the connection is cut: nobody waits on a
 * multi-gigabyte body only to discard it.
 */
export function discardRestOfBody(
  request: IncomingMessage,
  limits: DiscardLimits = DEFAULT_DISCARD_LIMITS,
): void {
  if (request.complete || request.destroyed) return;
  let discarded = 0;
  const cut = (): void => {
    clearTimeout(timer);
    request.socket.destroy();
  };
  const timer = setTimeout(cut, limits.maxMs);
  timer.unref();
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.maxBytes) cut();
  });
  request.once('end', () => clearTimeout(timer));
  request.resume();
}
