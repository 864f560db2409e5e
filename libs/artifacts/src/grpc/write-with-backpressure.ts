import type { Writable } from 'node:stream';

/** Resolves when `stream` can take more, or rejects when it closes or fails first (client gone). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('the call closed before all data was sent'));
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onClose);
  });
}

/** Writes one message, waiting for 'drain' when the call's buffer is full. */
export async function writeWithBackpressure<T>(stream: Writable, message: T): Promise<void> {
  if (stream.destroyed) throw new Error('the call closed before all data was sent');
  if (!stream.write(message)) await drained(stream);
}
