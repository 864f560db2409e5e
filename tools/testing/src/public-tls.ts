import { Agent, type Dispatcher } from 'undici';

/**
 * The users' certificates this process trusts, one per HTTPS origin (`https://127.0.0.1:<port>`):
 * a cluster started by startFlotillaCluster serves a self-signed certificate, and its clients
 * trust exactly that certificate for exactly that origin. Nothing is trusted process-wide and
 * verification is never turned off (no NODE_TLS_REJECT_UNAUTHORIZED): a client of any other
 * origin, or one made without these helpers, refuses the certificate.
 *
 * Per-request dispatchers rather than undici's setGlobalDispatcher: jest runs each spec in its own
 * vm context, whose globalThis is not the one Node's built-in fetch reads its global dispatcher
 * from. The Agent is the undici release Node 20.20 bundles (6.24.1, pinned), so the built-in
 * fetch takes it as its `dispatcher`.
 */
interface TrustedOrigin {
  certificatePem: string;
  dispatcher: Agent;
}

const trustedOrigins = new Map<string, TrustedOrigin>();

function originOf(url: string | URL): string {
  return new URL(url).origin;
}

/** Trusts `certificatePem` (PEM, no key) for the HTTPS origin of `baseUrl`, until forgotten. */
export function trustPublicCertificate(baseUrl: string, certificatePem: string): void {
  const origin = originOf(baseUrl);
  if (!origin.startsWith('https:')) return;
  void trustedOrigins.get(origin)?.dispatcher.close();
  trustedOrigins.set(origin, {
    certificatePem,
    dispatcher: new Agent({ connect: { ca: certificatePem } }),
  });
}

/** Stops trusting the certificate of `baseUrl`'s origin and closes its connections. */
export async function forgetPublicCertificate(baseUrl: string): Promise<void> {
  const origin = originOf(baseUrl);
  const trusted = trustedOrigins.get(origin);
  trustedOrigins.delete(origin);
  await trusted?.dispatcher.close();
}

/** The certificate trusted for `url`'s origin, for node:https clients (`ca`); else undefined. */
export function publicTlsCa(url: string | URL): string | undefined {
  return trustedOrigins.get(originOf(url))?.certificatePem;
}

/** The undici dispatcher trusting `url`'s origin's certificate; undefined for any other origin. */
export function publicTlsDispatcher(url: string | URL): Dispatcher | undefined {
  return trustedOrigins.get(originOf(url))?.dispatcher;
}

/**
 * fetch, trusting the certificate of a cluster this process started when `url` is on its HTTPS
 * origin (and Node's usual trust store everywhere else). A drop-in for fetch in tests and benches.
 */
export function trustingFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const dispatcher = publicTlsDispatcher(url);
  return fetch(url, dispatcher ? ({ ...init, dispatcher } as RequestInit) : init);
}
