import { Attribute, Change, Client } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';
import { OpenLdap, startOpenLdap } from '@flotilla/testing';

import { AllowedGroups } from '../credentials/allowed-groups';
import { DirectoryClient } from '../directory/directory-client';
import { openLdapDirectoryConfig, seeded } from '../directory/testing/openldap-directory-config.test-support';

import { DirectoryAccountReader } from './directory-account-reader';

/**
 * FLOTILLA_DIRECTORY_ALLOWED_GROUPS on a generic LDAP server (a real OpenLDAP slapd): allowed
 * groups are DNs there (no SIDs), matched against the groups sign-in's walk finds, and the sync's
 * reader judges each account with the same walk, so a user taken out of the group is a leaver.
 */
let ldap: OpenLdap;

beforeAll(async () => {
  ldap = await startOpenLdap();
}, 120_000);

afterAll(async () => {
  await ldap?.stop();
});

const user = (key: string) => seeded(ldap.users, key);
const group = (key: string) => seeded(ldap.groups, key);
const config = (allowedGroups: string[]): DirectoryConfig => openLdapDirectoryConfig(ldap, { allowedGroups });

async function asAdmin(work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ url: ldap.ldapUrl, timeout: 10_000 });
  try {
    await client.bind(ldap.adminDn, ldap.adminPassword);
    await work(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

const setMember = (groupKey: string, userKey: string, operation: 'add' | 'delete') =>
  asAdmin((client) =>
    client.modify(
      group(groupKey).dn,
      new Change({ operation, modification: new Attribute({ type: 'member', values: [user(userKey).dn] }) }),
    ),
  );

describe('allowed groups on generic LDAP (OpenLDAP)', () => {
  it('lets in a member of a nested allowed group (by DN, any case) at sign-in and refuses a user outside it', async () => {
    // level3 holds level2 holds level1 holds alice; bob is in the cycle only.
    const allowed = [group('level3').dn.toUpperCase()];
    const client = new DirectoryClient(config(allowed));
    const alice = await client.authenticate('alice', user('alice').password);
    const bob = await client.authenticate('bob', user('bob').password);
    if (!alice || !bob) throw new Error('alice and bob must authenticate');
    const decision = AllowedGroups.of(config(allowed));
    expect(decision.refusalFor(alice)).toBeUndefined();
    expect(decision.refusalFor(bob)?.code).toBe('DirectoryGroupNotAllowed');
  });

  it('tells the sync who is still in the allowed groups, and sees a member taken out at the next read', async () => {
    const reader = new DirectoryAccountReader(config([group('level3').dn]));
    const ids = [user('alice').entryUuid, user('bob').entryUuid];
    const before = await reader.read(ids);
    expect(before.get(user('alice').entryUuid)).toEqual({ found: true, inAllowedGroups: true });
    expect(before.get(user('bob').entryUuid)).toEqual({ found: true, inAllowedGroups: false });

    await setMember('level1', 'alice', 'delete');
    try {
      expect((await reader.read(ids)).get(user('alice').entryUuid)).toEqual({
        found: true,
        inAllowedGroups: false,
      });
    } finally {
      await setMember('level1', 'alice', 'add');
    }
  });

  it('says nothing of groups when no allowed group is configured', async () => {
    const states = await new DirectoryAccountReader(config([])).read([user('alice').entryUuid]);
    expect(states.get(user('alice').entryUuid)).toEqual({ found: true });
  });
});
