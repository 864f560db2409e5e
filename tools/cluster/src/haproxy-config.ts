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

/** Where HAProxy itself listens, and the nodes behind it. */
export interface HaproxyLayout {
  bindHost: string;
  httpPort: number;
  statsPort: number;
  grpcPorts: Record<GrpcServiceName, number>;
  nodes: readonly BackendNode[];
  /**
   * HAProxy's own certificate (identity `haproxy`, from the cluster CA) for the gRPC health checks,
   * its key beside it with the extension .key: `<pki>/services/<node>/haproxy.crt`.
   */
  checkCertificate: string;
  /** The runtime API socket (admin level, 0600), e.g. to swap the check certificate after a rotation. */
  adminSocket: string;
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

/** The values for every `{{NAME}}` placeholder of the template. */
export function haproxyPlaceholders(layout: HaproxyLayout): Record<string, string> {
  const values: Record<string, string> = {
    BIND_HOST: layout.bindHost,
    HTTP_PORT: String(layout.httpPort),
    STATS_PORT: String(layout.statsPort),
    GATEWAY_SERVERS: gatewayServers(layout.nodes),
    ADMIN_SOCKET: layout.adminSocket,
  };
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
