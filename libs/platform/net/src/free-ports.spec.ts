import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

import { freePort, freePorts } from './free-ports';

describe('freePorts', () => {
  it('returns distinct ports below the ephemeral range that can be bound', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const ports = await freePorts(40);
    expect(new Set(ports).size).toBe(40);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(15_000);
      expect(port).toBeLessThan(Number(low));
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('skips a port that is taken', async () => {
    const [first] = await freePorts(1);
    const range = { lowest: first, ceiling: first + 5 };
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(first + 2, '127.0.0.1', () => resolve());
    });
    try {
      // A neighbour of `first` may be busy too; only the held one is certain to be left out.
      const ports = await freePorts(3, range);
      expect(ports).not.toContain(first + 2);
      expect(ports.every((port) => port >= first && port < first + 5)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says so when the range has too few free ports', async () => {
    const [first] = await freePorts(1);
    await expect(freePorts(2, { lowest: first, ceiling: first + 1 })).rejects.toThrow(/no 2 free ports/);
  });

  it('gives one port with freePort', async () => {
    expect(await freePort()).toBeGreaterThanOrEqual(15_000);
  });
});
