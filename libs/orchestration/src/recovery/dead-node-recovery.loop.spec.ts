import { Logger } from '@nestjs/common';

import { DatabaseReachability } from './database-reachability';
import { DeadNodeRecoveryLoop } from './dead-node-recovery.loop';
import type { DeadNodeRecoveryService } from './dead-node-recovery.service';

const TIMEOUT_MS = 30_000;
const PASS_EVERY_MS = 2_500;

/** What pg says while PostgreSQL restarts. */
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const shuttingDown = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe(DeadNodeRecoveryLoop.name, () => {
  let now: number;
  let databaseUp: boolean;
  let recoveries: number;
  let probes: number;
  let logs: { level: 'log' | 'warn' | 'error'; message: string }[];
  let sut: DeadNodeRecoveryLoop;

  beforeEach(() => {
    now = 0;
    databaseUp = true;
    recoveries = 0;
    probes = 0;
    logs = [];
    const capture = (level: 'log' | 'warn' | 'error') => (message: unknown) =>
      void logs.push({ level, message: String(message) });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(capture('log'));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(capture('warn'));
    jest.spyOn(Logger.prototype, 'error').mockImplementation(capture('error'));
    // The service's two round trips, failing while the database is away.
    const recovery = {
      recoverOnce: () => {
        if (!databaseUp) return Promise.reject(shuttingDown());
        recoveries++;
        return Promise.resolve([]);
      },
      checkDatabase: () => {
        probes++;
        return databaseUp ? Promise.resolve() : Promise.reject(refused());
      },
    } as unknown as DeadNodeRecoveryService;
    sut = new DeadNodeRecoveryLoop(
      recovery,
      { heartbeatIntervalMs: 5_000 },
      new DatabaseReachability(TIMEOUT_MS, () => now),
    );
  });
  afterEach(() => jest.restoreAllMocks());

  /** Runs passes every PASS_EVERY_MS for `ms`; returns how many of them ran recovery. */
  async function passesFor(ms: number): Promise<number> {
    const before = recoveries;
    const until = now + ms;
    while (now < until) {
      await sut.runPass();
      now += PASS_EVERY_MS;
    }
    return recoveries - before;
  }

  it('waits a whole heartbeat timeout after this replica starts before recovering anything', async () => {
    await expect(passesFor(TIMEOUT_MS)).resolves.toBe(0);
    expect(probes).toBe(TIMEOUT_MS / PASS_EVERY_MS);

    await expect(passesFor(PASS_EVERY_MS)).resolves.toBe(1);
    expect(logs.map((entry) => entry.message)).toEqual([
      expect.stringMatching(
        /^Database reachable since \S+Z; dead-node recovery starts in 30 s \(this replica first watches heartbeats for a full timeout\)$/,
      ),
      'Dead-node recovery resumes: the database has been reachable for 30 s',
    ]);
  });

  it.each([
    ['shorter', 8_000],
    ['longer', 75_000],
  ])(
    'holds recovery through an outage %s than the timeout, and for a whole timeout after it',
    async (_label, outageMs) => {
      await passesFor(TIMEOUT_MS + PASS_EVERY_MS);
      expect(await passesFor(10_000)).toBe(4);
      logs.length = 0;

      databaseUp = false;
      await expect(passesFor(outageMs)).resolves.toBe(0);
      databaseUp = true;
      const backAt = now;
      // Recovery resumes only once the database has answered for a whole timeout again.
      await expect(passesFor(TIMEOUT_MS)).resolves.toBe(0);
      const resumed = await passesFor(PASS_EVERY_MS);
      expect(resumed).toBe(1);
      expect(now - backAt).toBeGreaterThanOrEqual(TIMEOUT_MS);

      expect(logs).toEqual([
        {
          level: 'warn',
          message:
            'Database unreachable (terminating connection due to administrator command); dead-node recovery holds until the database has been reachable for 30 s',
        },
        {
          level: 'warn',
          message: expect.stringMatching(
            /^Database reachable again since \S+Z; dead-node recovery resumes in 30 s \(nodes and executors first get a full heartbeat timeout to report\)$/,
          ) as string,
        },
        { level: 'log', message: 'Dead-node recovery resumes: the database has been reachable for 30 s' },
      ]);
    },
  );

  it('starts the wait over when the database goes away again while recovery holds back', async () => {
    await passesFor(TIMEOUT_MS + PASS_EVERY_MS);
    databaseUp = false;
    await passesFor(PASS_EVERY_MS);
    databaseUp = true;
    await passesFor(20_000);
    databaseUp = false;
    await passesFor(PASS_EVERY_MS);
    databaseUp = true;

    await expect(passesFor(TIMEOUT_MS)).resolves.toBe(0);
    await expect(passesFor(PASS_EVERY_MS)).resolves.toBe(1);
  });

  it('holds back after a pass that failed for another reason too, logging it as an error each time', async () => {
    await passesFor(TIMEOUT_MS + PASS_EVERY_MS);
    const recovery = (sut as unknown as { recovery: { recoverOnce: () => Promise<unknown> } }).recovery;
    recovery.recoverOnce = () => Promise.reject(new Error('column "x" does not exist'));
    logs.length = 0;

    await sut.runPass();
    now += PASS_EVERY_MS;
    await sut.runPass();

    expect(logs).toEqual([
      {
        level: 'error',
        message:
          'Dead-node recovery pass failed: column "x" does not exist; dead-node recovery holds until the database has been reachable for 30 s',
      },
      expect.objectContaining({
        level: 'warn',
        message: expect.stringMatching(/^Database reachable again/) as string,
      }),
    ]);
  });
});
