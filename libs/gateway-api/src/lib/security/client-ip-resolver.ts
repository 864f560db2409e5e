import { isIPv4 } from 'node:net';

import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

const IPV4_MAPPED_PREFIX = '::ffff:';

/**
 * Resolves the client address recorded in the audit trail. For now the socket peer; trusted
 * X-Forwarded-For handling (proxy-addr with the configured proxies) belongs here and only here.
 */
@Injectable()
export class ClientIpResolver {
  resolve(request: Pick<IncomingMessage, 'socket'>): string {
    return normaliseAddress(request.socket.remoteAddress ?? '');
  }
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) → "10.0.0.1"; other addresses unchanged. */
export function normaliseAddress(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith(IPV4_MAPPED_PREFIX) && isIPv4(lower.slice(IPV4_MAPPED_PREFIX.length))) {
    return lower.slice(IPV4_MAPPED_PREFIX.length);
  }
  return address;
}
