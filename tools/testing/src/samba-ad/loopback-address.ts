import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Samba's LDAP server has no port setting (389, 636 and the global catalogue's 3268/3269 are
 * fixed), so each DC gets a loopback address of its own: on Linux every 127/8 address reaches `lo`
 * without configuration. An address is claimed by a lock file naming the claiming process (so two
 * jest workers never pick the same one between probing and Samba's bind) and by probing that
 * Samba's ports are free on it.
 */
const SAMBA_PORTS = [389, 636, 3268, 3269] as const;
const LOCK_DIR = join(tmpdir(), 'flotilla-samba-addresses');

function listenOn(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

async function portsFree(host: string): Promise<boolean> {
  const servers = await Promise.all(SAMBA_PORTS.map((port) => listenOn(host, port)));
  await Promise.all(
    servers.map((server) =>
      server ? new Promise<void>((done) => server.close(() => done())) : Promise.resolve(),
    ),
  );
  return servers.every(Boolean);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file, or a stale one whose process is gone. */
function lock(address: string): boolean {
  const file = join(LOCK_DIR, address);
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    const owner = Number(readFileSync(file, 'utf8'));
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return false;
    rmSync(file, { force: true });
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      return false; // another process took it over first
    }
  }
}

export interface LoopbackAddress {
  address: string;
  release: () => void;
}

/** A 127.x.y.z (x in 100-199, away from 127.0.0.1 and the usual 127.0.x.y) with Samba's ports free. */
export async function claimLoopbackAddress(): Promise<LoopbackAddress> {
  mkdirSync(LOCK_DIR, { recursive: true });
  for (let attempt = 0; attempt < 50; attempt++) {
    const address = `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (!lock(address)) continue;
    if (await portsFree(address)) {
      return { address, release: () => rmSync(join(LOCK_DIR, address), { force: true }) };
    }
    rmSync(join(LOCK_DIR, address), { force: true });
  }
  throw new Error('no free loopback address for a Samba AD DC after 50 attempts');
}
