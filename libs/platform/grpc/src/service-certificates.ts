import { hostname } from 'node:os';
import { join } from 'node:path';

import { ChannelCredentials, ChannelOptions, experimental, ServerCredentials } from '@grpc/grpc-js';

import { SPIFFE_TRUST_DOMAIN } from './peer-identity';
import { CertificateFilePaths, WatchedCertificateFiles } from './watched-certificate-files';

/**
 * Which certificate a process presents, as a server and as a client: the one of its identity (its
 * service, or a tool identity such as 'operator' or 'test-client') on its node, in the PKI folder
 * FLOTILLA_PKI_DIR (libs/platform/pki lays it out). There is no plaintext fallback: without a
 * certificate a process neither serves nor calls gRPC.
 */
export interface ServiceCertificate extends CertificateFilePaths {
  identity: string;
  node: string;
  pkiDir: string;
}

/** How often a process looks for rotated certificates or trust (a stat of three files). */
export const DEFAULT_CERTIFICATE_REFRESH_MS = 5_000;

let declaredIdentity: string | undefined;

/**
 * Declares the identity this process acts as (bootstrapGrpcService does it for each service).
 * A process that declares none is the gateway, the one product process that serves no gRPC.
 */
export function declareProcessIdentity(identity: string): void {
  declaredIdentity = identity;
}

export function processIdentity(): string {
  return declaredIdentity ?? 'gateway';
}

/** The certificate files of `identity` on `node` (defaults: this process's, from the environment). */
export function serviceCertificate(
  identity: string = processIdentity(),
  options: { node?: string; pkiDir?: string } = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServiceCertificate {
  const pkiDir = options.pkiDir ?? env['FLOTILLA_PKI_DIR'];
  if (!pkiDir) {
    throw new Error(
      'FLOTILLA_PKI_DIR is not set: every gRPC server and client uses mutual TLS with a certificate ' +
        'from the cluster CA. `npm start` and `npm run cluster` set it; for another setup create the ' +
        'folder with `npm run pki -- init --dir <folder> --node <node name>` and point FLOTILLA_PKI_DIR at it',
    );
  }
  const node = options.node ?? env['FLOTILLA_NODE_NAME'] ?? hostname();
  return {
    identity,
    node,
    pkiDir,
    certificate: join(pkiDir, 'services', node, `${identity}.crt`),
    privateKey: join(pkiDir, 'services', node, `${identity}.key`),
    trustBundle: join(pkiDir, 'trust-bundle.pem'),
  };
}

function refreshMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const configured = Number(env['FLOTILLA_PKI_REFRESH_MS']);
  return Number.isInteger(configured) && configured >= 100 ? configured : DEFAULT_CERTIFICATE_REFRESH_MS;
}

// One watcher and one channel credentials object per certificate: grpc-js shares a connection
// between clients only when their credentials are the same object.
const providers = new Map<string, WatchedCertificateFiles>();
const channelCredentials = new Map<string, ChannelCredentials>();

function keyOf(certificate: ServiceCertificate): string {
  return `${certificate.certificate}|${certificate.privateKey}|${certificate.trustBundle}`;
}

/** The (shared) watcher of a certificate's files; throws naming the file when one is missing. */
export function certificateProvider(certificate: ServiceCertificate): WatchedCertificateFiles {
  const key = keyOf(certificate);
  let provider = providers.get(key);
  if (!provider) {
    provider = new WatchedCertificateFiles(
      certificate,
      refreshMs(),
      `Issue it with \`npm run pki -- issue --dir ${certificate.pkiDir} --node ${certificate.node} --identity ${certificate.identity}\``,
    );
    providers.set(key, provider);
  }
  return provider;
}

/**
 * Server side: present this certificate, require a client certificate and verify it against the
 * trust bundle. A new object per server: grpc-js hands the loaded certificates only to the server
 * that first watches a credentials object.
 */
export function serverCredentials(certificate: ServiceCertificate = serviceCertificate()): ServerCredentials {
  const provider = certificateProvider(certificate);
  // grpc-js 1.14's createCertificateProviderServerCredentials passes its two providers to the
  // constructor in the other order; one provider for both makes the order irrelevant.
  return experimental.createCertificateProviderServerCredentials(provider, provider, true);
}

/** Client side: present this certificate and verify the server against the trust bundle. */
export function clientCredentials(
  certificate: ServiceCertificate = serviceCertificate(),
): ChannelCredentials {
  const key = keyOf(certificate);
  let credentials = channelCredentials.get(key);
  if (!credentials) {
    const provider = certificateProvider(certificate);
    credentials = experimental.createCertificateProviderChannelCredentials(provider, provider);
    channelCredentials.set(key, credentials);
  }
  return credentials;
}

/** The name a server of `target` must carry: any replica of the service (behind HAProxy too) passes. */
export function serverNameOf(target: string): string {
  return `${target}.${SPIFFE_TRUST_DOMAIN}`;
}

/** Channel options that make a client check the server is `target`, whatever address it dials. */
export function targetNameOptions(target: string): ChannelOptions {
  return { 'grpc.ssl_target_name_override': serverNameOf(target) };
}
