import { request } from 'node:https';

import { DeliveryError, DestinationSender } from './destination-sender';
import type { StreamedEvent } from './streamed-event';
import { EVENT_IDS_HEADER, SEQUENCE_HEADER, SIGNATURE_HEADER, webhookSignature } from './webhook-signature';

export interface WebhookTarget {
  url: string;
  secret: string;
  /** PEM of a private CA; undefined: Node's bundled CAs. */
  caPem?: string;
  timeoutMs: number;
}

/** The POST body: `{"events":[…]}` in chain order. */
export function webhookBody(events: readonly StreamedEvent[]): string {
  return JSON.stringify({ events });
}

/**
 * POSTs a batch as JSON over HTTPS, signed (X-Flotilla-Signature) and labelled with its first and
 * last chain numbers and ids. Acknowledged means a 2xx answer; anything else (3xx included:
 * redirects are not followed, a signed body is for the URL configured), a TLS failure or the
 * timeout is a DeliveryError, and the same batch is sent again later.
 */
export class WebhookSender implements DestinationSender {
  constructor(
    private readonly target: WebhookTarget,
    private readonly clock: () => number = Date.now,
  ) {}

  send(events: readonly StreamedEvent[]): Promise<void> {
    const body = webhookBody(events);
    const first = events[0];
    const last = events[events.length - 1];
    const headers = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'User-Agent': 'flotilla-audit-stream/1',
      [SIGNATURE_HEADER]: webhookSignature(this.target.secret, Math.floor(this.clock() / 1000), body),
      [SEQUENCE_HEADER]: `${first.sequence}-${last.sequence}`,
      [EVENT_IDS_HEADER]: `${first.id},${last.id}`,
    };
    return new Promise<void>((resolve, reject) => {
      const outgoing = request(
        this.target.url,
        {
          method: 'POST',
          headers,
          ...(this.target.caPem ? { ca: this.target.caPem } : {}),
          timeout: this.target.timeoutMs,
          agent: false,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (text.length < 200) text += chunk;
          });
          response.on('end', () => {
            if (status >= 200 && status < 300) resolve();
            else
              reject(
                new DeliveryError(
                  `HTTP ${status} from ${this.target.url}${text ? `: ${text.slice(0, 200)}` : ''}`,
                ),
              );
          });
          response.on('error', (error) => reject(new DeliveryError(`reading the answer: ${error.message}`)));
        },
      );
      outgoing.on('timeout', () =>
        outgoing.destroy(new Error(`no answer within ${this.target.timeoutMs} ms`)),
      );
      outgoing.on('error', (error) => reject(new DeliveryError(`POST ${this.target.url}: ${error.message}`)));
      outgoing.end(body);
    });
  }
}
