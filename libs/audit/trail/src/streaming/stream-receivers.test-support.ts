import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, Server as TlsServer } from 'node:tls';

import type { StreamedEvent } from './streamed-event';
import { verifyWebhookSignature } from './webhook-signature';

/** A private CA (its PEM handed to the destination) and a server certificate for 127.0.0.1 / localhost. */
export interface ReceiverCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Made with the openssl command line, as an operator's private CA would be. */
export function receiverCertificates(): ReceiverCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-receiver-ca-'));
  const at = (name: string) => join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=receiver test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    run('req', ...ec, '-keyout', at('leaf.key'), '-out', at('leaf.csr'), '-subj', '/CN=localhost');
    writeFileSync(at('leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    run(
      'x509',
      '-req',
      '-in',
      at('leaf.csr'),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at('leaf.pem'),
      '-days',
      '2',
      '-extfile',
      at('leaf.ext'),
    );
    return {
      caPem: readFileSync(at('ca.pem'), 'utf8'),
      certPem: readFileSync(at('leaf.pem'), 'utf8'),
      keyPem: readFileSync(at('leaf.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One POST the webhook receiver took, as it arrived. */
export interface ReceivedBatch {
  status: number;
  signatureValid: boolean;
  sequenceHeader: string;
  idsHeader: string;
  events: StreamedEvent[];
}

/**
 * An HTTPS webhook receiver on 127.0.0.1 that checks every signature as a real one would and
 * answers `failWith` (e.g. 503) while it is set, else 204. Only accepted batches count as received.
 */
export class WebhookReceiver {
  readonly batches: ReceivedBatch[] = [];

  failWith: number | undefined;

  /** How long each answer waits (a slow receiver keeps a delivery under way). */
  answerAfterMs = 0;

  private constructor(
    private readonly server: HttpsServer,
    readonly url: string,
  ) {}

  static async start(certificates: ReceiverCertificates, secret: string, port = 0): Promise<WebhookReceiver> {
    const holder: { receiver?: WebhookReceiver } = {};
    const server = createHttpsServer(
      { cert: certificates.certPem, key: certificates.keyPem },
      (request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const receiver = holder.receiver!;
          const body = Buffer.concat(chunks).toString('utf8');
          const signature = String(request.headers['x-flotilla-signature'] ?? '');
          const status = receiver.failWith ?? 204;
          receiver.batches.push({
            status,
            signatureValid: verifyWebhookSignature(secret, signature, body, Math.floor(Date.now() / 1000)),
            sequenceHeader: String(request.headers['x-flotilla-sequence'] ?? ''),
            idsHeader: String(request.headers['x-flotilla-event-ids'] ?? ''),
            events: (JSON.parse(body) as { events: StreamedEvent[] }).events,
          });
          setTimeout(
            () => response.writeHead(status).end(status === 204 ? undefined : 'receiver down for the test'),
            receiver.answerAfterMs,
          );
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const { port: bound } = server.address() as AddressInfo;
    holder.receiver = new WebhookReceiver(server, `https://127.0.0.1:${bound}/audit`);
    return holder.receiver;
  }

  /** Events of acknowledged (2xx) batches, in arrival order, duplicates included. */
  delivered(): StreamedEvent[] {
    return this.batches.filter((batch) => batch.status < 300).flatMap((batch) => batch.events);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A syslog-over-TLS receiver on 127.0.0.1 reading RFC 6587 octet-counted frames, closing its side
 * when the sender closes (as rsyslog and syslog-ng do).
 */
export class SyslogTlsReceiver {
  private constructor(
    private readonly server: TlsServer,
    readonly address: string,
    /** Every message received, in order, without its frame. */
    readonly messages: string[],
  ) {}

  static async start(certificates: ReceiverCertificates): Promise<SyslogTlsReceiver> {
    const messages: string[] = [];
    const server = createTlsServer({ cert: certificates.certPem, key: certificates.keyPem }, (socket) => {
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (;;) {
          const space = buffered.indexOf(0x20);
          if (space < 0) return;
          const length = Number(buffered.subarray(0, space).toString('ascii'));
          if (buffered.length < space + 1 + length) return;
          messages.push(buffered.subarray(space + 1, space + 1 + length).toString('utf8'));
          buffered = buffered.subarray(space + 1 + length);
        }
      });
      socket.on('end', () => socket.end());
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new SyslogTlsReceiver(server, `127.0.0.1:${port}`, messages);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
