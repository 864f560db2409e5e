import { DataSource } from 'typeorm';

import type { RequestOrigin } from '../audit-actors';
import { UsersRepository } from '../persistence/users.repository';
import type { AuthUser } from '../users/auth-user';

import type { CredentialVerifier } from './credential-verifier';

/**
 * Where a sign-in's password is checked when a directory is configured: a name that is a local
 * account's goes to the local verifier (the break-glass administrator signs in even with the
 * directory down, and never reaches it); every other name goes to the directory. Without a
 * directory, local accounts only, exactly as before.
 *
 * Directory accounts are named `DOMAIN\account` in Flotilla, which no local name can be, so a local
 * `alice` shadows only the bare name: the directory's alice still signs in as FLOTILLA\alice or by UPN.
 */
export class SignInCredentialVerifier implements CredentialVerifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly local: CredentialVerifier,
    private readonly directory: CredentialVerifier | undefined,
  ) {}

  async verify(username: string, password: string, origin?: RequestOrigin): Promise<AuthUser | undefined> {
    if (!this.directory) return this.local.verify(username, password, origin);
    if (await this.users.findLocalForSignIn(this.dataSource.manager, username))
      return this.local.verify(username, password, origin);
    return this.directory.verify(username, password, origin);
  }
}
