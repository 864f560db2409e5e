import { UnauthorizedException } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';

import { Observable, of, Subject, throwError } from 'rxjs';

import { authV1 } from '@flotilla/contracts';

import type { BackendClients } from '../grpc/backend-clients';
import { TOKEN_CACHE_MS, TokenValidator } from './token-validator';
import { parseRevocationNotice } from './token-validator-revocations';

const principal: authV1.Principal = {
  userId: 'u1',
  username: 'ann',
  displayName: 'Ann',
  permissions: ['ProjectView'],
  credential: 'session',
  grants: [],
};

/** An auth client that answers ValidateToken from a script and fails on anything else. */
function createSut(answer: (token: string) => Observable<authV1.Principal>) {
  const calls: string[] = [];
  const auth = new Proxy({} as authV1.AuthServiceClient, {
    get: (_target, method) => {
      if (method !== 'validateToken') throw new Error(`unexpected auth call ${String(method)}`);
      return (request: authV1.TokenRequest) => {
        calls.push(request.token);
        return answer(request.token);
      };
    },
  });
  const sut = new TokenValidator({ auth } as BackendClients);
  let now = 1_000;
  sut.now = () => now;
  return { sut, calls, advance: (ms: number) => (now += ms) };
}

describe(TokenValidator.name, () => {
  it('caches for at most a second, so a revocation reaches every node within one even without Redis', () => {
    expect(TOKEN_CACHE_MS).toBeLessThanOrEqual(1_000);
  });

  it('reuses a good answer for its lifetime, then asks again', async () => {
    const { sut, calls, advance } = createSut(() => of(principal));
    await expect(sut.validate('t', '10.0.0.1')).resolves.toEqual(principal);
    advance(TOKEN_CACHE_MS - 1);
    await expect(sut.validate('t', '10.0.0.1')).resolves.toEqual(principal);
    expect(calls).toEqual(['t']);
    advance(1);
    await sut.validate('t', '10.0.0.1');
    expect(calls).toEqual(['t', 't']);
  });

  it('turns a rejection into 401 and never caches it', async () => {
    const { sut, calls } = createSut(() =>
      throwError(() => ({ code: status.UNAUTHENTICATED, details: 'expired' })),
    );
    await expect(sut.validate('bad', '')).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(sut.validate('bad', '')).rejects.toBeInstanceOf(UnauthorizedException);
    expect(calls).toEqual(['bad', 'bad']);
  });

  it('lets an unreachable auth service surface as itself (503 at the filter), not as 401', async () => {
    const down = { code: status.UNAVAILABLE, details: 'connect ECONNREFUSED' };
    const { sut } = createSut(() => throwError(() => down));
    await expect(sut.validate('t', '')).rejects.toBe(down);
  });

  it('forgets a token on sign-out', async () => {
    const { sut, calls } = createSut(() => of(principal));
    await sut.validate('t', '');
    sut.forget('t');
    await sut.validate('t', '');
    expect(calls).toEqual(['t', 't']);
  });

  it('counts the lifetime from when auth was asked, not from when it answered', async () => {
    const answers = new Subject<authV1.Principal>();
    const { sut, calls, advance } = createSut(() => answers);
    const pending = sut.validate('t', '');
    advance(TOKEN_CACHE_MS - 1);
    answers.next(principal);
    answers.complete();
    await pending;
    advance(1);
    await expect(sut.validate('t', '')).rejects.toThrow(); // asked again: the subject is done
    expect(calls).toEqual(['t', 't']);
  });

  it('drops every cached token of a user a notice names, and only theirs', async () => {
    const other = { ...principal, userId: 'u2' };
    const { sut, calls } = createSut((token) => of(token.startsWith('ann') ? principal : other));
    for (const token of ['ann-session', 'ann-key', 'bob-session']) await sut.validate(token, '');

    sut.revoke({ userId: 'u1' });
    for (const token of ['ann-session', 'ann-key', 'bob-session']) await sut.validate(token, '');

    expect(calls).toEqual(['ann-session', 'ann-key', 'bob-session', 'ann-session', 'ann-key']);
  });

  it('drops one token a notice names by its SHA-256', async () => {
    const { sut, calls } = createSut(() => of(principal));
    await sut.validate('first', '');
    await sut.validate('second', '');

    sut.revoke({ tokenHash: createHash('sha256').update('first').digest('hex') });
    await sut.validate('first', '');
    await sut.validate('second', '');

    expect(calls).toEqual(['first', 'second', 'first']);
  });

  it('does not cache an answer to a question sent before a revocation notice arrived', async () => {
    const answers = new Subject<authV1.Principal>();
    const { sut, calls } = createSut(() => answers);
    const pending = sut.validate('t', '');
    // Auth may have read the session just before the sign-out committed.
    sut.revoke({ userId: 'u1' });
    answers.next(principal);
    answers.complete();
    await expect(pending).resolves.toEqual(principal);

    await expect(sut.validate('t', '')).rejects.toThrow();
    expect(calls).toEqual(['t', 't']);
  });
});

describe(`${TokenValidator.name}: requests while auth is being asked`, () => {
  /** Auth's answers, released by the test; each ValidateToken gets the next one. */
  function pendingAnswers() {
    const subjects: Subject<authV1.Principal>[] = [];
    const sut = createSut(() => {
      const subject = new Subject<authV1.Principal>();
      subjects.push(subject);
      return subject;
    });
    const answer = (index: number, outcome: authV1.Principal | Error): void => {
      const subject = subjects[index];
      if (!subject) throw new Error(`no question ${index} was asked`);
      if (outcome instanceof Error) subject.error({ code: status.UNAUTHENTICATED, details: outcome.message });
      else {
        subject.next(outcome);
        subject.complete();
      }
    };
    return { ...sut, answer };
  }

  it('asks auth once for the requests that arrive while its answer is on the way', async () => {
    const { sut, calls, answer } = pendingAnswers();
    const waiting = [
      sut.validate('t', '10.0.0.1'),
      sut.validate('t', '10.0.0.1'),
      sut.validate('t', '10.0.0.1'),
    ];
    answer(0, principal);
    await expect(Promise.all(waiting)).resolves.toEqual([principal, principal, principal]);
    expect(calls).toEqual(['t']);
  });

  it('asks separately for another token or another client address', async () => {
    const { sut, calls, answer } = pendingAnswers();
    const waiting = [
      sut.validate('t', '10.0.0.1'),
      sut.validate('u', '10.0.0.1'),
      sut.validate('t', '10.0.0.2'),
    ];
    for (const index of [0, 1, 2]) answer(index, principal);
    await Promise.all(waiting);
    expect(calls).toEqual(['t', 'u', 't']);
  });

  it('gives every waiter the refusal, and asks again for the next request', async () => {
    const { sut, calls, answer } = pendingAnswers();
    const waiting = [sut.validate('bad', ''), sut.validate('bad', '')];
    answer(0, new Error('expired'));
    for (const request of waiting) await expect(request).rejects.toBeInstanceOf(UnauthorizedException);
    const next = sut.validate('bad', '');
    answer(1, new Error('expired'));
    await expect(next).rejects.toBeInstanceOf(UnauthorizedException);
    expect(calls).toEqual(['bad', 'bad']);
  });

  it('never joins a question asked before a revocation notice or a sign-out on this node', async () => {
    const { sut, calls, answer } = pendingAnswers();
    const beforeNotice = sut.validate('t', '');
    sut.revoke({ userId: 'u1' });
    const afterNotice = sut.validate('t', '');
    sut.forget('t');
    const afterSignOut = sut.validate('t', '');
    expect(calls).toEqual(['t', 't', 't']);
    answer(0, principal);
    answer(1, new Error('signed out'));
    answer(2, new Error('signed out'));
    await expect(beforeNotice).resolves.toEqual(principal);
    await expect(afterNotice).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(afterSignOut).rejects.toBeInstanceOf(UnauthorizedException);
  });
});

describe(parseRevocationNotice.name, () => {
  it('reads what auth publishes and ignores anything else', () => {
    expect(parseRevocationNotice('{"userId":"u1","reason":"user-disabled"}')).toEqual({ userId: 'u1' });
    expect(parseRevocationNotice('{"tokenHash":"ab","reason":"sign-out"}')).toEqual({ tokenHash: 'ab' });
    for (const junk of ['', 'null', '42', '{"reason":"x"}', '{"userId":7}', 'not json'])
      expect(parseRevocationNotice(junk)).toBeUndefined();
  });
});
