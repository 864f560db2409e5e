import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import {
  boundForwardedFor,
  canonicalIpAddress,
  canonicalPeerAddress,
  ClientOrigin,
} from '@flotilla/platform/grpc';

type ResolvableRequest = Pick<IncomingMessage, 'socket' | 'headers'>;

/** Where a request came from as the audit trail records it: the resolved client and the TCP peer. */
export type RequestSourceOrigin = ClientOrigin & { socketPeer?: string };

/**
 * Resolves where a request came from, for the audit trail. The client IP is the socket peer,
 * unless the peer is a trusted proxy (the cluster setting, FLOTILLA_TRUSTED_PROXIES until the
 * setting is read or when it was never changed), then the rightmost
 * untrusted address of X-Forwarded-For (all trusted: the leftmost). Without trusted proxies the
 * header is ignored, so a client cannot spoof its address. proxy-addr does the parsing and the
 * trust; this is the only place that asks it.
 *
 * proxy-addr answers whatever text sits at that position of the header, so each hop is
 * validated: text that is not exactly an IP address (`<script>`, a port, a zone id, 2 KB of junk)
 * ends the walk and the last valid hop stands — the socket peer, or the address a trusted proxy
 * vouched for — so header text never becomes the address, and the raw header is kept, bounded,
 * beside it.
 */
@Injectable()
export class ClientIpResolver {
  private trust: (address: string, hop: number) => boolean = () => false;
  private entries: readonly string[] = [];

  constructor(@Inject(FLOTILLA_CONFIG) config: Pick<FlotillaConfig, 'trustedProxies'>) {
    // compile() rejects a malformed entry at start-up instead of silently trusting nothing.
    this.useTrustedProxies(config.trustedProxies);
  }

  /** The entries trusted now. */
  get trustedProxies(): readonly string[] {
    return this.entries;
  }

  /**
   * Trusts `entries` from the next request on (the cluster setting, followed by
   * TrustedProxiesFollower). Throws, trusting what it did before, when proxy-addr cannot compile them.
   */
  useTrustedProxies(entries: readonly string[]): void {
    const trusted = proxyAddr.compile([...entries]);
    this.trust = entries.length ? trusted : () => false;
    this.entries = [...entries];
  }

  /** The client IP: always a valid address in canonical form, or '' once the socket is gone. */
  resolve(request: ResolvableRequest): string {
    const peer = canonicalPeerAddress(request.socket.remoteAddress);
    if (!peer) return '';
    // The socket peer, then X-Forwarded-For from the right while each hop is trusted, ending
    // with the first untrusted entry (proxy-addr never trusts text that is not an address).
    const [, ...forwarded] = proxyAddr.all(request as IncomingMessage, this.trust);
    let client = peer;
    for (const hop of forwarded) {
      const address = canonicalIpAddress(hop);
      if (!address) break;
      client = address;
    }
    return client;
  }

  /**
   * The client IP, the raw X-Forwarded-For (every value, as Node joined them), bounded, and the
   * socket peer (usually the proxy; absent once the socket is gone). The header is kept whether or
   * not the peer is trusted: it is evidence, never an address.
   */
  origin(request: ResolvableRequest): RequestSourceOrigin {
    const socketPeer = canonicalPeerAddress(request.socket.remoteAddress);
    return {
      clientIp: this.resolve(request),
      forwardedFor: boundForwardedFor(rawForwardedFor(request)),
      ...(socketPeer ? { socketPeer } : {}),
    };
  }
}

/** Node joins repeated X-Forwarded-For headers into one string (`a, b`), as proxy-addr reads it. */
function rawForwardedFor(request: ResolvableRequest): string {
  const header = request.headers['x-forwarded-for'];
  return Array.isArray(header) ? header.join(', ') : (header ?? '');
}
