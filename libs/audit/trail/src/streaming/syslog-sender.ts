import { connect, TLSSocket } from 'node:tls';

import { DeliveryError, DestinationSender } from './destination-sender';
import type { StreamedEvent } from './streamed-event';
import { octetCountedFrame, syslogMessage, SyslogFacility } from './syslog-message';

export interface SyslogTarget {
  /** host:port ([v6]:port) of an RFC 5425 (syslog over TLS) receiver. */
  address: string;
  caPem?: string;
  facility: SyslogFacility;
  /** HOSTNAME of every message: this node's name. */
  hostname: string;
  timeoutMs: number;
}

function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}

/**
 * Writes a batch as RFC 5424 messages, octet-counted (RFC 6587), over one TLS connection per batch
 * (the receiver's certificate checked against the CA given, or the bundled ones, and its name).
 *
 * Syslog has no acknowledgement. What "delivered" means here: every byte was written and flushed
 * through TLS, we closed our side, and the receiver then closed its side. A receiver closes after
 * reading to the end of the stream, so it read every message; whether it also stored them (its disk,
 * its queue) cannot be known over syslog. A receiver that keeps the connection open past the
 * timeout counts as a failure, and the batch is sent again (duplicates carry the event id).
 */
export class SyslogSender implements DestinationSender {
  constructor(private readonly target: SyslogTarget) {}

  send(events: readonly StreamedEvent[]): Promise<void> {
    const payload = Buffer.concat(
      events.map((event) =>
        octetCountedFrame(syslogMessage(event, this.target.hostname, this.target.facility)),
      ),
    );
    const { host, port } = hostAndPort(this.target.address);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(new DeliveryError(`syslog ${this.target.address}: ${message}`));
      };
      const socket: TLSSocket = connect({
        host,
        port,
        servername: /^[\d.:]+$/.test(host) ? undefined : host,
        ...(this.target.caPem ? { ca: this.target.caPem } : {}),
      });
      const timer = setTimeout(
        () => fail(`not done within ${this.target.timeoutMs} ms`),
        this.target.timeoutMs,
      );
      let flushed = false;
      let receiverClosed = false;
      const doneIfBoth = () => {
        if (!flushed || !receiverClosed || settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      socket.once('secureConnect', () => {
        socket.end(payload, () => {
          flushed = true;
          doneIfBoth();
        });
      });
      // Our end went out after every byte; the receiver closing its side after that means it read to it.
      socket.on('end', () => {
        receiverClosed = true;
        doneIfBoth();
      });
      socket.on('data', () => undefined);
      socket.on('error', (error: Error) => {
        clearTimeout(timer);
        fail(error.message);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        fail('the connection closed before every message was written and read');
      });
    });
  }
}
