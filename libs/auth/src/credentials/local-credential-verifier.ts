import { DataSource } from 'typeorm';

import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { UsersRepository } from '../persistence/users.repository';
import { AuthUser, toAuthUser } from '../users/auth-user';

import type { CredentialVerifier } from './credential-verifier';

/** Local accounts: the password's scrypt hash is in the users table. */
export class LocalCredentialVerifier implements CredentialVerifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly hasher: ScryptPasswordHasher,
  ) {}

  async verify(username: string, password: string): Promise<AuthUser | undefined> {
    const user = await this.users.findLocalForSignIn(this.dataSource.manager, username);
    if (!user?.passwordHash) {
      // Same work as a real check, so the response time does not reveal unknown usernames.
      return this.hasher.verifyDummy(password).then(() => undefined);
    }
    const matches = await this.hasher.verify(password, user.passwordHash);
    // A disabled account is checked in full too, and then refused like a wrong password.
    return matches && user.isActive ? toAuthUser(user) : undefined;
  }
}
