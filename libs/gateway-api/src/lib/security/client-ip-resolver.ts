import { isIPv4 } from 'node:net';

import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

const IPV4_MAPPED_PREFIX = '::ffff:';

/**
 * Resolves the client address recorded in the audit trail: the socket peer, unless the peer is a
 * configured trusted proxy (FLOTILLA_TRUSTED_PROXIES), then the rightmost untrusted address of
 * X-Forwarded-For (all trusted: the leftmost). Without trusted proxies the header is ignored, so
 * a client cannot spoof its address. proxy-addr does the parsing; this is the only place that asks.
 */
@Injectable()
export class ClientIpResolver {
  private readonly trust: (address: string, hop: number) => boolean;

  constructor(@Inject(FLOTILLA_CONFIG) config: Pick<FlotillaConfig, 'trustedProxies'>) {
    // compile() rejects a malformed entry at start-up instead of silently trusting nothing.
    const trusted = proxyAddr.compile(config.trustedProxies);
    this.trust = config.trustedProxies.length ? trusted : () => false;
  }

  resolve(request: Pick<IncomingMessage, 'socket' | 'headers'>): string {
    if (!request.socket.remoteAddress) return '';
    return normaliseAddress(proxyAddr(request as IncomingMessage, this.trust));
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
