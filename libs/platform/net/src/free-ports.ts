import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { randomInt } from 'node:crypto';

/**
 * Ports for local clusters and test servers are drawn below the kernel's ephemeral range. A port
 * that bind(0) hands out comes from that range, which every outgoing connection (HAProxy opens a
 * new one per health check, dozens a second) also draws from, so between choosing such a port and
 * a child process binding it, a client socket could take it: seen as EADDRINUSE at a node's start.
 */
const LOWEST_PORT = 15_000;

function firstEphemeralPort(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(low);
    return Number.isInteger(port) && port > LOWEST_PORT + 1000 ? port : 32_768;
  } catch {
    return 32_768; // not Linux: the IANA dynamic range starts at 49152, Linux's default at 32768
  }
}

function listenOn(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
}

export interface FreePortOptions {
  host?: string;
  /** The range to draw from, [lowest, ceiling); by default 15000 up to the ephemeral range. */
  lowest?: number;
  ceiling?: number;
}

/**
 * `count` distinct TCP ports free on `host` a moment ago, chosen at random below the ephemeral
 * range (so concurrent clusters rarely meet) and held open together until all are found.
 */
export async function freePorts(count: number, options: FreePortOptions = {}): Promise<number[]> {
  const host = options.host ?? '127.0.0.1';
  const lowest = options.lowest ?? LOWEST_PORT;
  const ceiling = options.ceiling ?? firstEphemeralPort();
  const held = new Map<number, Server>();
  try {
    for (let attempt = 0; held.size < count; attempt += 1) {
      if (attempt > count * 100) throw new Error(`no ${count} free ports in [${lowest}, ${ceiling})`);
      const port = randomInt(lowest, ceiling);
      if (held.has(port)) continue;
      const server = await listenOn(port, host);
      if (server) held.set(port, server);
    }
  } finally {
    await Promise.all(
      [...held.values()].map((server) => new Promise<void>((done) => server.close(() => done()))),
    );
  }
  return [...held.keys()];
}

/** One free port (see freePorts). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, { host });
  return port;
}
