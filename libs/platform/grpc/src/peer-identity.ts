import type { PeerCertificate } from 'node:tls';

/**
 * The service instance at the other end of an mTLS connection, as its certificate names it.
 * Certificates from the cluster CA carry one URI SAN `spiffe://flotilla.internal/<service>/<node>`
 * (see libs/platform/pki); nothing else in a certificate is read as identity.
 */
export interface PeerIdentity {
  /** A Flotilla service name ('gateway', 'auth', 'executor', ...) or a tool identity ('haproxy', ...). */
  service: string;
  node: string;
}

export const SPIFFE_TRUST_DOMAIN = 'flotilla.internal';

const SPIFFE_URI = /^URI:spiffe:\/\/flotilla\.internal\/([a-z][a-z0-9-]{0,62})\/([A-Za-z0-9._-]{1,128})$/;

/** The identity a verified peer certificate names, or undefined when it names none (or several). */
export function peerIdentityFromCertificate(
  certificate: PeerCertificate | undefined,
): PeerIdentity | undefined {
  const altNames = certificate?.subjectaltname;
  if (!altNames) return undefined;
  const matches = altNames
    .split(', ')
    .map((entry) => SPIFFE_URI.exec(entry))
    .filter((match): match is RegExpExecArray => match !== null);
  if (matches.length !== 1) return undefined;
  const [, service, node] = matches[0];
  return { service, node };
}

/** The URI SAN a certificate for `service` on `node` carries. */
export function spiffeUri(service: string, node: string): string {
  return `spiffe://${SPIFFE_TRUST_DOMAIN}/${service}/${node}`;
}
