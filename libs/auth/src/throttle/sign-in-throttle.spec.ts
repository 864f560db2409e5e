import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import type { DataSource, EntityManager } from 'typeorm';

import type { AuditEventInput, AuditRecorder } from '@flotilla/audit/outbox';
import { FailureReason, failureReasonOf, retryAfterOf } from '@flotilla/platform/grpc';

import type { RequestOrigin } from '../audit-actors';

import type { SignInAccounts } from './sign-in-accounts';
import { SIGN_IN_LOCKED_OUT, SignInThrottle, tooManyAttemptsMessage } from './sign-in-throttle';
import { InMemoryThrottleCounters } from './testing/in-memory-throttle-counters';

const ALICE_ID = '00000000-0000-4000-8000-00000000a11c';
/** One local account, `alice`, as the users table resolves it: its own name, in any letter case. */
const accounts: SignInAccounts = {
  accountIdOf: (name) => Promise.resolve(name.trim().toLowerCase() === 'alice' ? ALICE_ID : undefined),
};
const from = (clientIp: string): RequestOrigin => ({ clientIp });
const right = () => Promise.resolve('alice signed in');
const wrong = () => Promise.resolve(undefined);

function throttleOver(counters: InMemoryThrottleCounters, audited: AuditEventInput[] = []) {
  const dataSource = {
    transaction: (work: (manager: EntityManager) => Promise<unknown>) => work({} as EntityManager),
  } as unknown as DataSource;
  const audit = {
    record: (_manager: EntityManager, event: AuditEventInput) => {
      audited.push(event);
      return Promise.resolve();
    },
  } as unknown as AuditRecorder;
  return new SignInThrottle(counters, accounts, dataSource, audit, {
    maxFailuresPerUser: 3,
    maxFailuresPerIp: 10,
    windowSeconds: 60,
  });
}

/** The gRPC status, message and trailers a refusal carries; fails the test when it was let through. */
async function refusal(work: Promise<unknown>) {
  try {
    await work;
  } catch (error) {
    const sent = (error as RpcException).getError() as { code: number; details: string; metadata: Metadata };
    return {
      code: sent.code,
      message: sent.details,
      reason: failureReasonOf(sent),
      retryAfter: retryAfterOf(sent),
    };
  }
  throw new Error('expected the attempt to be refused');
}

describe(SignInThrottle.name, () => {
  let counters: InMemoryThrottleCounters;
  let audited: AuditEventInput[];
  let sut: SignInThrottle;

  beforeEach(() => {
    counters = new InMemoryThrottleCounters();
    audited = [];
    sut = throttleOver(counters, audited);
  });

  it('counts every letter case of a local account on the account, and refuses the next without checking the password', async () => {
    for (const name of ['alice', 'Alice', 'ALICE '])
      await expect(sut.attempt(name, from('192.0.2.1'), wrong)).resolves.toBeUndefined();
    expect(counters.countOf(`account:${ALICE_ID}`)).toBe(3);

    counters.now += 20_000;
    const check = jest.fn(right);
    await expect(refusal(sut.attempt('alice', from('198.51.100.2'), check))).resolves.toEqual({
      code: status.RESOURCE_EXHAUSTED,
      message: tooManyAttemptsMessage(40),
      reason: FailureReason.RateLimited,
      retryAfter: 40,
    });
    expect(check).not.toHaveBeenCalled();
    // A refused attempt counts on no counter: the other address is untouched.
    expect(counters.countOf('ip:198.51.100.2')).toBe(0);
  });

  it('counts every form of a directory name on one counter, apart from a local account of the same bare name', async () => {
    for (const name of ['FLOTILLA\\Alice', 'alice@flotilla.test', 'flotilla\\ALICE'])
      await sut.attempt(name, from('192.0.2.1'), wrong);
    await expect(
      refusal(sut.attempt('Alice@Flotilla.Test', from('192.0.2.1'), right)),
    ).resolves.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    expect(counters.countOf(`account:${ALICE_ID}`)).toBe(0);
    await expect(sut.attempt('alice', from('192.0.2.1'), right)).resolves.toBe('alice signed in');
  });

  it('lets the account in again once the window that started at its first failure has ended', async () => {
    for (let i = 0; i < 3; i++) await sut.attempt('alice', from('192.0.2.1'), wrong);
    counters.now += 59_999;
    await expect(refusal(sut.attempt('alice', from('192.0.2.1'), right))).resolves.toMatchObject({
      retryAfter: 1,
    });
    counters.now += 1;
    await expect(sut.attempt('alice', from('192.0.2.1'), right)).resolves.toBe('alice signed in');
  });

  it('forgets the account failures on a success, and gives the address its attempt back', async () => {
    await sut.attempt('alice', from('192.0.2.1'), wrong);
    await sut.attempt('alice', from('192.0.2.1'), wrong);
    await expect(sut.attempt('Alice', from('192.0.2.1'), right)).resolves.toBe('alice signed in');
    expect(counters.countOf(`account:${ALICE_ID}`)).toBe(0);
    // The two failures stay on the address; the success does not count.
    expect(counters.countOf('ip:192.0.2.1')).toBe(2);
  });

  it('counts unknown names per name, locks them like real ones, and never touches a real account', async () => {
    for (const name of ['ghost', 'GHOST', 'FLOTILLA\\ghost'])
      await sut.attempt(name, from('192.0.2.1'), wrong);
    // Refused like a real account would be: the answer does not tell which names exist.
    await expect(
      refusal(sut.attempt('ghost@flotilla.test', from('192.0.2.1'), wrong)),
    ).resolves.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      retryAfter: 60,
    });
    await expect(sut.attempt('alice', from('192.0.2.1'), right)).resolves.toBe('alice signed in');
    expect([...counters.entries.keys()].filter((key) => key.startsWith('name:'))).toEqual([
      expect.stringMatching(/^name:[0-9a-f]{64}$/),
    ]);
    // Nothing someone typed is stored as typed.
    expect([...counters.entries.keys()].join()).not.toContain('ghost');
  });

  it('refuses an address past its limit over all the names it tries, whatever the account', async () => {
    for (let i = 0; i < 10; i++) await sut.attempt(`user${i}`, from('203.0.113.5'), wrong);
    const check = jest.fn(right);
    await expect(refusal(sut.attempt('alice', from('203.0.113.5'), check))).resolves.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    expect(check).not.toHaveBeenCalled();
    expect(counters.countOf(`account:${ALICE_ID}`)).toBe(0);
    await expect(sut.attempt('alice', from('203.0.113.6'), right)).resolves.toBe('alice signed in');
  });

  it('audits each lockout once, when the failure that fills its counter happens', async () => {
    for (let i = 0; i < 3; i++) await sut.attempt('alice', from('192.0.2.1'), wrong);
    for (let i = 0; i < 4; i++) await sut.attempt('alice', from('192.0.2.1'), wrong).catch(() => undefined);
    expect(audited).toEqual([
      {
        actor: { userId: '', username: '', clientIp: '192.0.2.1', forwardedFor: '', permissions: [] },
        action: SIGN_IN_LOCKED_OUT,
        resourceType: 'User',
        resourceId: ALICE_ID,
        details: { scope: 'account', username: 'alice', failures: 3, windowSeconds: 60 },
      },
    ]);
  });

  it('audits an address lockout as the address', async () => {
    for (let i = 0; i < 10; i++) await sut.attempt(`user${i}`, from('203.0.113.5'), wrong);
    expect(audited.filter((event) => event.resourceType === 'ClientAddress')).toEqual([
      expect.objectContaining({
        resourceId: '203.0.113.5',
        details: { scope: 'address', username: 'user9', failures: 10, windowSeconds: 60 },
      }),
    ]);
  });

  it('gives both counts back when the check itself fails (not a verdict on the password)', async () => {
    const outage = new Error('connect ECONNREFUSED');
    await expect(sut.attempt('alice', from('192.0.2.1'), () => Promise.reject(outage))).rejects.toBe(outage);
    expect(counters.countOf(`account:${ALICE_ID}`)).toBe(0);
    expect(counters.countOf('ip:192.0.2.1')).toBe(0);
  });

  it('counts an attempt with no address on its name alone, and hashes an address that is not one', async () => {
    await sut.attempt('alice', from(''), wrong);
    await sut.attempt('alice', from('x'.repeat(2048)), wrong);
    expect([...counters.entries.keys()].sort()).toEqual([
      `account:${ALICE_ID}`,
      expect.stringMatching(/^ip:[0-9a-f]{64}$/),
    ]);
  });

  it('lets at most the limit of parallel attempts reach the password check', async () => {
    const check = jest.fn(wrong);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => sut.attempt('alice', from('192.0.2.1'), check)),
    );
    expect(check).toHaveBeenCalledTimes(3);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(17);
    expect(audited).toHaveLength(1);
  });
});
