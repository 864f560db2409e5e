import { UnauthorizedException } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { Observable, of, throwError } from 'rxjs';

import { authV1 } from '@flotilla/contracts';

import type { BackendClients } from '../grpc/backend-clients';
import { TOKEN_CACHE_MS, TokenValidator } from './token-validator';

const principal: authV1.Principal = {
  userId: 'u1',
  username: 'ann',
  displayName: 'Ann',
  permissions: ['ProjectView'],
  credential: 'session',
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
  it('reuses a good answer for a few seconds, then asks again', async () => {
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
});
