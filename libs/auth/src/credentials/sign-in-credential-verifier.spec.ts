import type { DataSource } from 'typeorm';

import type { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import type { AuthUser } from '../users/auth-user';

import type { CredentialVerifier } from './credential-verifier';
import { SignInCredentialVerifier } from './sign-in-credential-verifier';

describe(SignInCredentialVerifier.name, () => {
  const dataSource = { manager: {} } as unknown as DataSource;
  const accounts: Record<string, Partial<UserEntity>> = {
    admin: { username: 'admin', source: 'local' },
    'flotilla\\alice': { username: 'FLOTILLA\\alice', source: 'directory' },
    alice: { username: 'alice', source: 'directory' },
  };
  // The table is faked; how a typed name finds a local account is the repository's own code.
  const users = {
    findByUsername: jest.fn((_manager: unknown, name: string) =>
      Promise.resolve((accounts[name.toLowerCase()] as UserEntity | undefined) ?? null),
    ),
    findLocalForSignIn: UsersRepository.prototype.findLocalForSignIn,
  } as unknown as UsersRepository;
  const answer = (who: string) => ({ id: who }) as AuthUser;
  const local: CredentialVerifier = { verify: jest.fn(() => Promise.resolve(answer('local'))) };
  const directory: CredentialVerifier = { verify: jest.fn(() => Promise.resolve(answer('directory'))) };
  const origin = { clientIp: '192.0.2.1' };

  beforeEach(() => jest.clearAllMocks());

  it('without a directory, asks the local verifier for every name', async () => {
    const sut = new SignInCredentialVerifier(dataSource, users, local, undefined);
    expect(await sut.verify('FLOTILLA\\alice', 'pw', origin)).toEqual(answer('local'));
    expect(local.verify).toHaveBeenCalledWith('FLOTILLA\\alice', 'pw', origin);
  });

  it('sends a local account to the local verifier, never to the directory (break-glass)', async () => {
    const sut = new SignInCredentialVerifier(dataSource, users, local, directory);
    expect(await sut.verify(' ADMIN ', 'pw', origin)).toEqual(answer('local'));
    expect(directory.verify).not.toHaveBeenCalled();
  });

  it('sends every other name to the directory: unknown, DOMAIN\\user, UPN, and directory accounts', async () => {
    const sut = new SignInCredentialVerifier(dataSource, users, local, directory);
    for (const name of ['bob', 'FLOTILLA\\alice', 'alice@flotilla.test', 'alice']) {
      expect(await sut.verify(name, 'pw', origin)).toEqual(answer('directory'));
    }
    expect(local.verify).not.toHaveBeenCalled();
    // A name no local account can have is not even looked up.
    expect(users.findByUsername).not.toHaveBeenCalledWith(expect.anything(), 'FLOTILLA\\alice');
  });
});
