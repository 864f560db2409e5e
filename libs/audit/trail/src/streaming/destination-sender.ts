import type { StreamedEvent } from './streamed-event';

/** Sends one batch to one destination; resolves only once the destination acknowledged it. */
export interface DestinationSender {
  send(events: readonly StreamedEvent[]): Promise<void>;
}

/** A delivery that failed, with what an operator reads on the health endpoint. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}
