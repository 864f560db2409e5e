import { createServer, Agent, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { poissonArrivals, runOpenLoop } from './open-loop-load';
import { percentile } from './percentiles';

describe(poissonArrivals.name, () => {
  it('arrives at the asked rate, in order, inside the duration', () => {
    const arrivals = poissonArrivals(200, 60_000, 7);
    // 12 000 expected; a Poisson count's standard deviation is about 110.
    expect(arrivals.length).toBeGreaterThan(11_500);
    expect(arrivals.length).toBeLessThan(12_500);
    expect(arrivals.every((at, index) => index === 0 || at >= arrivals[index - 1])).toBe(true);
    expect(arrivals[arrivals.length - 1]).toBeLessThan(60_000);
  });

  it('gives the same schedule for the same seed and another for another seed', () => {
    expect(poissonArrivals(50, 2000, 1)).toEqual(poissonArrivals(50, 2000, 1));
    expect(poissonArrivals(50, 2000, 2)).not.toEqual(poissonArrivals(50, 2000, 1));
  });
});

describe(runOpenLoop.name, () => {
  let server: Server;
  let baseUrl: string;
  const delayMs = 40;

  beforeAll(async () => {
    // Answers every request after delayMs; with one connection the requests queue behind each other.
    server = createServer((request, response) => {
      setTimeout(() => response.writeHead(request.url === '/missing' ? 404 : 200).end('{}'), delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('keeps sending on schedule and counts the queueing of a target slower than the load', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // 100/s for 0.5 s against one connection serving 25/s: a closed loop would report 40 ms.
      const result = await runOpenLoop(baseUrl, agent, {
        paths: ['/ok'],
        token: 't',
        ratePerSecond: 100,
        durationMs: 500,
        requestTimeoutMs: 10_000,
        seed: 3,
      });
      expect(result.errors.size).toBe(0);
      expect(result.ok).toBe(poissonArrivals(100, 500, 3).length);
      // The last requests waited for everything before them: far more than one response's time.
      expect(percentile(result.latenciesMs, 99)).toBeGreaterThan(10 * delayMs);
      expect(Math.min(...result.latenciesMs)).toBeGreaterThanOrEqual(delayMs - 1);
    } finally {
      agent.destroy();
    }
  });

  it('counts answers other than 200 as errors, by status', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const result = await runOpenLoop(baseUrl, agent, {
        paths: ['/ok', '/missing'],
        token: 't',
        ratePerSecond: 40,
        durationMs: 500,
        requestTimeoutMs: 10_000,
        seed: 5,
      });
      const total = poissonArrivals(40, 500, 5).length;
      expect(result.ok).toBe(Math.ceil(total / 2));
      expect(result.errors.get('HTTP 404')).toBe(Math.floor(total / 2));
    } finally {
      agent.destroy();
    }
  });
});
