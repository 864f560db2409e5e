import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The gRPC services HAProxy fronts, as named in FLOTILLA_<SVC>_GRPC_URL. */
export const GRPC_SERVICES = ['auth', 'audit', 'orchestrator', 'executor', 'artifacts'] as const;
export type GrpcServiceName = (typeof GRPC_SERVICES)[number];

/** Where one node's gateway and gRPC servers listen. */
export interface BackendNode {
  name: string;
  host: string;
  httpPort: number;
  grpcPorts: Record<GrpcServiceName, number>;
}

/** The stats page's one user (HTTP basic authentication). */
export interface StatsCredentials {
  username: string;
  password: string;
}

/** Where HAProxy itself listens, and the nodes behind it. */
export interface HaproxyLayout {
  /** Users' address: HTTPS, and plain HTTP that only redirects to it (`0.0.0.0` in production). */
  publicBindHost: string;
  /**
   * The nodes' address: the gRPC frontends and the stats page, never reachable from users'
   * networks (a private interface in production; 127.0.0.2 in the local cluster).
   */
  internalBindHost: string;
  /** Plain HTTP: answers 308 to the same URL over HTTPS, serves nothing. */
  httpPort: number;
  httpsPort: number;
  /** Users' certificate: one PEM file, the certificate (chain) and its private key. */
  publicTlsCertificate: string;
  statsPort: number;
  stats: StatsCredentials;
  grpcPorts: Record<GrpcServiceName, number>;
  nodes: readonly BackendNode[];
  /**
   * HAProxy's own certificate (identity `haproxy`, from the cluster CA) for the gRPC health checks,
   * its key beside it with the extension .key: `<pki>/services/<node>/haproxy.crt`.
   */
  checkCertificate: string;
  /** The runtime API socket (admin level, 0600), e.g. to swap the check certificate after a rotation. */
  adminSocket: string;
  /**
   * Sign-in requests (POST /api/users/login or /api/users/password) one client address may send per
   * period before HAProxy answers 429 itself; DEFAULT_SIGN_IN_RATE when absent.
   */
  signInRate?: SignInRate;
  /**
   * One log line per user request (HAProxy's httplog: timers, status, termination state) on
   * HAProxy's stdout; off by default (only server state changes and alerts are logged).
   */
  accessLog?: boolean;
}

export interface SignInRate {
  requests: number;
  periodSeconds: number;
}

/**
 * A second line behind the auth service's own throttle (5 failures per account, 50 per address in
 * 15 minutes by default), so generous that people never meet it: 60 sign-ins in 10 s from one
 * address is an office behind one NAT at its busiest, or a script.
 */
export const DEFAULT_SIGN_IN_RATE: SignInRate = { requests: 60, periodSeconds: 10 };

function signInRate(rate: SignInRate): SignInRate {
  const whole = (value: number, max: number) => Number.isInteger(value) && value >= 1 && value <= max;
  if (!whole(rate.requests, 1_000_000) || !whole(rate.periodSeconds, 3600))
    throw new Error('The sign-in rate must be 1 to 1,000,000 requests per 1 to 3,600 seconds');
  return rate;
}

const repoRoot = resolve(__dirname, '..', '..', '..');

/** docker/haproxy/haproxy.cfg.template: the one template both the Docker deployment and tools/cluster render. */
export const HAPROXY_TEMPLATE_PATH = join(repoRoot, 'docker', 'haproxy', 'haproxy.cfg.template');

export function readHaproxyTemplate(path = HAPROXY_TEMPLATE_PATH): string {
  return readFileSync(path, 'utf8');
}

/** HAProxy server names allow letters, digits and `-_.:`; node names are operator-chosen. */
function serverName(node: BackendNode): string {
  return node.name.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

function address(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function gatewayServers(nodes: readonly BackendNode[]): string {
  return nodes
    .map((node) => `    server ${serverName(node)} ${address(node.host, node.httpPort)} check`)
    .join('\n');
}

/**
 * gRPC traffic passes through as TCP (the TLS session is the caller's, end to end); the check is an
 * HTTP/2 request over TLS with HAProxy's own client certificate, so a frozen server is told apart
 * from a live one, and its connections are cut when it is marked down.
 */
function grpcServers(
  nodes: readonly BackendNode[],
  service: GrpcServiceName,
  checkCertificate: string,
): string {
  return nodes
    .map(
      (node) =>
        `    server ${serverName(node)} ${address(node.host, node.grpcPorts[service])} check check-ssl check-alpn h2 ` +
        `check-sni ${service}.flotilla.internal verify none crt ${checkCertificate} on-marked-down shutdown-sessions`,
    )
    .join('\n');
}

/**
 * `stats auth <user>:<password>` is one word of HAProxy's config: no whitespace, quotes (either),
 * backslash or `#` (which would start a comment), and no colon in the user name (it splits the two).
 */
const STATS_PASSWORD = /^[!$-&(-[\]-~]+$/;
const STATS_USERNAME = /^[A-Za-z0-9._-]+$/;

function statsAuth(stats: StatsCredentials): string {
  if (!STATS_USERNAME.test(stats.username))
    throw new Error('The stats user name must be letters, digits, `.`, `_` or `-`');
  if (stats.password.length < 12 || !STATS_PASSWORD.test(stats.password))
    throw new Error(
      'The stats password must be at least 12 printable characters without spaces, quotes, backslash or #',
    );
  return `${stats.username}:${stats.password}`;
}

/** The port a redirect's Location carries: none for HTTPS's own 443. */
function redirectPortSuffix(httpsPort: number): string {
  return httpsPort === 443 ? '' : `:${httpsPort}`;
}

/** The values for every `{{NAME}}` placeholder of the template. */
export function haproxyPlaceholders(layout: HaproxyLayout): Record<string, string> {
  const values: Record<string, string> = {
    PUBLIC_BIND_HOST: layout.publicBindHost,
    INTERNAL_BIND_HOST: layout.internalBindHost,
    HTTP_PORT: String(layout.httpPort),
    HTTPS_PORT: String(layout.httpsPort),
    HTTPS_REDIRECT_PORT_SUFFIX: redirectPortSuffix(layout.httpsPort),
    PUBLIC_TLS_CERTIFICATE: layout.publicTlsCertificate,
    STATS_PORT: String(layout.statsPort),
    STATS_AUTH: statsAuth(layout.stats),
    GATEWAY_SERVERS: gatewayServers(layout.nodes),
    ADMIN_SOCKET: layout.adminSocket,
    LOG_LEVEL: layout.accessLog ? 'info' : 'notice',
  };
  const rate = signInRate(layout.signInRate ?? DEFAULT_SIGN_IN_RATE);
  values['SIGN_IN_RATE_LIMIT'] = String(rate.requests);
  values['SIGN_IN_RATE_PERIOD_SECONDS'] = String(rate.periodSeconds);
  for (const service of GRPC_SERVICES) {
    values[`${service.toUpperCase()}_GRPC_PORT`] = String(layout.grpcPorts[service]);
    values[`${service.toUpperCase()}_SERVERS`] = grpcServers(layout.nodes, service, layout.checkCertificate);
  }
  return values;
}

/**
 * Fills the template. An unknown or unfilled placeholder is an error rather than a config that
 * HAProxy would reject (or worse, accept) later.
 */
export function renderHaproxyConfig(template: string, layout: HaproxyLayout): string {
  if (layout.nodes.length === 0) throw new Error('An HAProxy config needs at least one node');
  if (!layout.checkCertificate)
    throw new Error('An HAProxy config needs checkCertificate (its `haproxy` certificate)');
  if (!layout.adminSocket) throw new Error('An HAProxy config needs adminSocket (its runtime API socket)');
  if (!layout.publicTlsCertificate)
    throw new Error("An HAProxy config needs publicTlsCertificate (users' certificate and key, one PEM)");
  if (!layout.publicBindHost || !layout.internalBindHost)
    throw new Error('An HAProxy config needs publicBindHost (users) and internalBindHost (gRPC, stats)');
  if (layout.publicBindHost === layout.internalBindHost)
    throw new Error(
      `publicBindHost and internalBindHost are both ${layout.publicBindHost}: the gRPC frontends and the stats page must not face users`,
    );
  const values = haproxyPlaceholders(layout);
  const missing = new Set<string>();
  const rendered = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) missing.add(name);
    return value ?? '';
  });
  if (missing.size)
    throw new Error(`The HAProxy template has unknown placeholders: ${[...missing].join(', ')}`);
  return rendered;
}
