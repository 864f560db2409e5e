import { DataSource } from 'typeorm';

import { UsersRepository } from '../persistence/users.repository';

/** Which local account a sign-in name is, for counting its failures; undefined: none. */
export interface SignInAccounts {
  accountIdOf(username: string): Promise<string | undefined>;
}

/**
 * A local account, by the name as typed (any letter case), exactly as SignInCredentialVerifier
 * decides that a sign-in is a local one. Anything else (a directory name in any form, or a name
 * nobody has) is counted by its account name instead (SignInThrottle): a directory account is
 * named `DOMAIN\account` in Flotilla, so resolving `FLOTILLA\alice` to the bare local `alice`
 * would let failures of one account lock another.
 */
export class UsersTableSignInAccounts implements SignInAccounts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
  ) {}

  async accountIdOf(username: string): Promise<string | undefined> {
    return (await this.users.findLocalForSignIn(this.dataSource.manager, username))?.id;
  }
}
