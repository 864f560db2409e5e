import { readFileSync } from 'node:fs';

import { swapHaproxyCertificate, SwappedCertificate } from '@flotilla/platform/pki';

/**
 * Where a rendered HAProxy config keeps what a check-certificate swap needs: the admin runtime
 * socket (`stats socket <path> ... level admin`) and the servers' check certificate
 * (`crt <path>`, its key beside it as .key under `ssl-load-extra-del-ext`). Read from the config
 * itself so whoever started HAProxy need not pass them again.
 */
export interface CheckCertificateSwap {
  adminSocket: string;
  /** The name HAProxy holds the certificate under: the path exactly as the config writes it. */
  certificate: string;
  privateKey: string;
}

export function checkCertificateSwapOf(config: string): CheckCertificateSwap | undefined {
  const adminSocket = /^\s*stats socket (\S+)[^\n]*level admin/m.exec(config)?.[1];
  // Every gRPC server line names the same check certificate (haproxy-config.ts).
  // `\scrt ` (not `\bcrt`): the path itself ends in `.crt`, followed by more options.
  const certificate = /^\s*server \S+ \S+ .*?\scrt (\S+)/m.exec(config)?.[1];
  if (!adminSocket || !certificate) return undefined;
  return { adminSocket, certificate, privateKey: certificate.replace(/\.crt$/, '.key') };
}

/** The HaproxyProcess's reloadCheckCertificate for this config. */
export function checkCertificateSwapFrom(config: string): () => Promise<SwappedCertificate> {
  return async () => {
    const swap = checkCertificateSwapOf(config);
    if (!swap)
      throw new Error(
        "HAProxy's config has no admin runtime socket or no server check certificate (crt): nothing to swap",
      );
    // Read now, not at start: the point is the certificate a rotation wrote since.
    return swapHaproxyCertificate(
      swap.adminSocket,
      swap.certificate,
      readFileSync(swap.certificate, 'utf8'),
      readFileSync(swap.privateKey, 'utf8'),
    );
  };
}
