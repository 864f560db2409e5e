import { randomUUID } from 'node:crypto';

import type { ThrottleCounters } from '../throttle-counters';

/**
 * TEST ONLY: what every store of the counters must do (Redis and the database run it on real
 * servers). `counters()` is called after the suite's beforeAll; keys are fresh per test.
 */
export function itBehavesLikeThrottleCounters(counters: () => ThrottleCounters): void {
  const key = (name: string) => `${name}:${randomUUID()}`;

  it('counts each reserve, then refuses at the limit with the time left in the window, counting nothing', async () => {
    const sut = counters();
    const account = key('account');
    for (let expected = 1; expected <= 3; expected++)
      await expect(sut.reserve([{ key: account, max: 3 }], 60_000)).resolves.toEqual({
        granted: true,
        counts: [expected],
      });
    const refused = await sut.reserve([{ key: account, max: 3 }], 60_000);
    expect(refused).toEqual({ granted: false, key: account, retryAfterMs: expect.any(Number) as number });
    if (refused.granted) return;
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Giving one back makes room for exactly one more.
    await sut.release(account);
    await expect(sut.reserve([{ key: account, max: 3 }], 60_000)).resolves.toEqual({
      granted: true,
      counts: [3],
    });
  });

  it('counts on all keys or on none: a full one leaves the others as they were', async () => {
    const sut = counters();
    const [address, account] = [key('ip'), key('account')];
    await sut.reserve([{ key: account, max: 1 }], 60_000);
    await expect(
      sut.reserve(
        [
          { key: address, max: 10 },
          { key: account, max: 1 },
        ],
        60_000,
      ),
    ).resolves.toMatchObject({ granted: false, key: account });
    await expect(sut.reserve([{ key: address, max: 10 }], 60_000)).resolves.toEqual({
      granted: true,
      counts: [1],
    });
  });

  it('starts a new window once the last one has ended', async () => {
    const sut = counters();
    const account = key('account');
    await sut.reserve([{ key: account, max: 1 }], 300);
    await expect(sut.reserve([{ key: account, max: 1 }], 300)).resolves.toMatchObject({ granted: false });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await expect(sut.reserve([{ key: account, max: 1 }], 300)).resolves.toEqual({
      granted: true,
      counts: [1],
    });
  });

  it('forgets a counter on reset, and a release never takes a counter below nothing', async () => {
    const sut = counters();
    const account = key('account');
    await sut.reserve([{ key: account, max: 2 }], 60_000);
    await sut.reserve([{ key: account, max: 2 }], 60_000);
    await sut.reset(account);
    await sut.release(account);
    await sut.release(key('never-counted'));
    await expect(sut.reserve([{ key: account, max: 2 }], 60_000)).resolves.toEqual({
      granted: true,
      counts: [1],
    });
  });

  it('counts concurrent attempts exactly: each takes its own count, and no more than the limit get through', async () => {
    const sut = counters();
    const [roomy, tight] = [key('ip'), key('account')];
    const many = await Promise.all(
      Array.from({ length: 30 }, () => sut.reserve([{ key: roomy, max: 1000 }], 60_000)),
    );
    const counts = many.map((reservation) => (reservation.granted ? reservation.counts[0] : 0));
    expect([...counts].sort((a = 0, b = 0) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    const limited = await Promise.all(
      Array.from({ length: 30 }, () => sut.reserve([{ key: tight, max: 5 }], 60_000)),
    );
    expect(limited.filter((reservation) => reservation.granted)).toHaveLength(5);
  });
}
