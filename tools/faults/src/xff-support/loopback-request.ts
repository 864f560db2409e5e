import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { publicTlsCa } from '@flotilla/testing';

export interface LoopbackResponse {
  status: number;
  /** The parsed JSON answer (undefined when the body was empty). */
  body: unknown;
}

export interface LoopbackRequest {
  /** The client socket's own address, e.g. '127.0.0.2' (any 127/8 address is local on Linux). */
  localAddress: string;
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  json?: unknown;
}

/**
 * One HTTP request from a chosen loopback source address. fetch cannot bind its socket, and a
 * pooled connection would keep the address of whoever opened it, so every request gets a fresh
 * connection (`agent: false`).
 */
export function requestFrom(options: LoopbackRequest): Promise<LoopbackResponse> {
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  // HAProxy's frontend is HTTPS with the cluster's self-signed certificate, trusted for it alone.
  const https = options.url.startsWith('https:');
  const request = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      options.url,
      {
        method: options.method,
        agent: false,
        ...(https ? { ca: publicTlsCa(options.url) } : {}),
        localAddress: options.localAddress,
        headers: {
          ...options.headers,
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
        },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: text ? (JSON.parse(text) as unknown) : undefined,
            });
          } catch {
            resolve({ status: response.statusCode ?? 0, body: text });
          }
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${options.method} ${options.url} timed out`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
