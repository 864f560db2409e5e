import { PresenceFilter } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';
import { SambaAd, startSambaAd } from '@flotilla/testing';

import { DirectoryClient } from './directory-client';
import { LdapConnection } from './ldap-connection';
import { readRangedAttribute } from './ranged-attribute';
import { sambaDirectoryConfig } from './testing/samba-directory-config.test-support';

/** The bulk seed: a group of 5,000 members and a user in 1,500 groups (issue 10). */
let ad: SambaAd;

beforeAll(async () => {
  ad = await startSambaAd({ seed: 'bulk' });
}, 300_000);

afterAll(async () => {
  await ad?.stop();
});

const config = (): DirectoryConfig => sambaDirectoryConfig(ad, { groupBaseDn: ad.baseDn, timeoutMs: 10_000 });

describe('directory sign-in at scale (Samba AD, bulk seed)', () => {
  it("resolves every one of a user's 1,500 groups (paged search)", async () => {
    const many = ad.users['many'];
    if (!many || !ad.bulk) throw new Error('the bulk seed has no user "many"');
    const signedIn = await new DirectoryClient(config()).authenticate(many.upn, many.password);
    const dns = new Set(signedIn?.groups.map((group) => group.dn.toLowerCase()));
    expect(ad.bulk.groupsOfMany).toHaveLength(1500);
    for (const group of ad.bulk.groupsOfMany) expect(dns.has(group.dn.toLowerCase())).toBe(true);
    expect(new Set(signedIn?.groups.map((group) => group.id)).size).toBe(signedIn?.groups.length);
  }, 60_000);

  it('reads all 5,000 members of a group (ranged attribute)', async () => {
    const group = ad.groups['bulk5000'];
    if (!group || !ad.bulk) throw new Error('the bulk seed has no group "bulk5000"');
    const connection = await LdapConnection.open(ad.ldapsUrl, config(), ad.bindDn, ad.bindPassword);
    try {
      const members = await readRangedAttribute(connection, group.dn, 'member');
      expect(members).toHaveLength(5000);
      expect(new Set(members.map((dn) => dn.toLowerCase()))).toEqual(
        new Set(ad.bulk.members.map((user) => user.dn.toLowerCase())),
      );
    } finally {
      await connection.close();
    }
  }, 60_000);

  it("pages a search past the server's page limit: every entry, none lost", async () => {
    const connection = await LdapConnection.open(ad.ldapsUrl, config(), ad.bindDn, ad.bindPassword);
    try {
      const { entries } = await connection.search(ad.baseDn, {
        scope: 'sub',
        filter: new PresenceFilter({ attribute: 'sAMAccountName' }),
        attributes: ['sAMAccountName'],
        paged: true,
      });
      // 5,000 bulk members + 1,500 bulk groups at least.
      expect(entries.length).toBeGreaterThan(6500);
    } finally {
      await connection.close();
    }
  }, 60_000);
});
