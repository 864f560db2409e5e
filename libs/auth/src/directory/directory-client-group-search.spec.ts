import { AdminLimitExceededError, InvalidCredentialsError, SizeLimitExceededError } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import { DirectoryClient } from './directory-client';
import { DirectoryProtocolError } from './directory-refusal';
import type { LdapConnection } from './ldap-connection';

const config: DirectoryConfig = {
  kind: 'ldap',
  urls: ['ldaps://ldap.example.test'],
  startTls: false,
  allowPlainBind: false,
  bindDn: 'cn=svc,dc=x',
  bindPassword: 'secret',
  baseDn: 'dc=x',
  groupBaseDn: 'ou=groups,dc=x',
  upnSuffixes: [],
  timeoutMs: 2000,
  cooldownMs: 0,
  referrals: 'ignore',
};

/** The group searches of sign-in with the directory answering `failure` (no server needed). */
class FailingDirectory extends DirectoryClient {
  constructor(
    kind: DirectoryConfig['kind'],
    private readonly failure: Error,
  ) {
    super({ ...config, kind });
  }

  protected override search(): ReturnType<DirectoryClient['search']> {
    return Promise.reject(this.failure);
  }

  /** Generic LDAP's walk, or AD's in-chain search (the first group query of each). */
  groups(): Promise<unknown> {
    const connection = {} as LdapConnection;
    if (this.config.kind === 'ldap') return this.ldapGroups(connection, 'uid=many,ou=people,dc=x');
    return this.adGroups(connection, { dn: 'CN=many,CN=Users,DC=x' });
  }
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );

describe('DirectoryClient group searches', () => {
  it.each(['ldap', 'ad'] as const)(
    'reports a %s group search the server cut short (size or administrative limit) as a DirectoryProtocolError',
    async (kind) => {
      for (const cut of [
        new SizeLimitExceededError('size limit'),
        new AdminLimitExceededError('admin limit'),
      ]) {
        const error = await outcome(new FailingDirectory(kind, cut).groups());
        expect(error).toBeInstanceOf(DirectoryProtocolError);
        expect((error as Error).message).toContain('cut a group search under ou=groups,dc=x short');
      }
    },
  );

  it('passes any other LDAP answer through as it is', async () => {
    const other = new InvalidCredentialsError('no');
    for (const kind of ['ldap', 'ad'] as const)
      await expect(new FailingDirectory(kind, other).groups()).rejects.toBe(other);
  });
});
