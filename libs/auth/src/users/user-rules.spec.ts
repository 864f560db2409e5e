import { rpcErrorDetails } from '@flotilla/platform/grpc';
import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { normalizeUsername, usernameProblem, validateNewAccount } from './user-rules';

function rejection(work: () => unknown): { code: status; message: string } | undefined {
  try {
    work();
  } catch (error) {
    return error instanceof RpcException ? rpcErrorDetails(error.getError()) : undefined;
  }
  return undefined;
}

describe(validateNewAccount.name, () => {
  const valid = {
    username: 'jane.doe@corp-1_x',
    displayName: 'Jane Doe',
    password: 'twelve chars',
    roles: ['Deployer'],
  };

  it('accepts a valid account and defaults the display name to the username', () => {
    expect(validateNewAccount(valid)).toEqual({ ...valid, roles: ['Deployer'] });
    expect(validateNewAccount({ ...valid, displayName: '  ' }).displayName).toBe(valid.username);
  });

  it.each([
    ['empty', ''],
    ['a space', 'jane doe'],
    ['a slash', 'corp\\jane'],
    ['non-ASCII', 'zoë'],
    ['101 characters', 'a'.repeat(101)],
  ])('refuses a username with %s', (_case, username) => {
    expect(usernameProblem(username)).toBeDefined();
    expect(rejection(() => validateNewAccount({ ...valid, username }))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: expect.stringContaining('Username') as string,
    });
  });

  it('accepts a 100-character username', () => {
    expect(usernameProblem('a'.repeat(100))).toBeUndefined();
  });

  it('refuses a password under 12 characters', () => {
    expect(rejection(() => validateNewAccount({ ...valid, password: 'eleven char' }))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'Password must be at least 12 characters',
    });
  });

  it('refuses unknown roles and removes duplicates of known ones', () => {
    expect(rejection(() => validateNewAccount({ ...valid, roles: ['Deployer', 'Root'] }))?.message).toContain(
      'Root',
    );
    expect(validateNewAccount({ ...valid, roles: ['Auditor', 'Auditor', 'Administrator'] }).roles).toEqual([
      'Administrator',
      'Auditor',
    ]);
  });

  it('normalizes usernames to lower case', () => {
    expect(normalizeUsername('Jane.Doe@Corp')).toBe('jane.doe@corp');
  });
});
