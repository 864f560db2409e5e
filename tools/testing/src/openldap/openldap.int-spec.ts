import { readFileSync } from 'node:fs';

import { Client, EqualityFilter, NoSuchObjectError, SizeLimitExceededError } from 'ldapts';

import { OPENLDAP_BULK, OPENLDAP_SIZE_LIMIT } from './openldap-seed';
import { OpenLdap, startOpenLdap } from './openldap';

/** The harness itself: what the generic-LDAP specs rely on holds on the real slapd. */
let ldap: OpenLdap;

beforeAll(async () => {
  ldap = await startOpenLdap();
}, 120_000);

afterAll(async () => {
  await ldap?.stop();
});

async function asService<T>(work: (client: Client) => Promise<T>, url = ldap.ldapUrl): Promise<T> {
  const client = new Client({
    url,
    timeout: 30_000,
    ...(url.startsWith('ldaps:')
      ? { tlsOptions: { ca: readFileSync(ldap.caFile), servername: ldap.hostName } }
      : {}),
  });
  try {
    await client.bind(ldap.bindDn, ldap.bindPassword);
    return await work(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describe('startOpenLdap', () => {
  it('serves the seed over ldaps:// with the test CA, each user with a distinct entryUUID', async () => {
    const uuids = Object.values(ldap.users).map((user) => user.entryUuid);
    expect(new Set(uuids).size).toBe(uuids.length);
    for (const uuid of uuids)
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const { searchEntries } = await asService(
      (client) =>
        client.search(ldap.peopleDn, {
          filter: new EqualityFilter({ attribute: 'uid', value: ldap.users['special'].uid }),
          attributes: ['entryUUID', 'cn'],
        }),
      ldap.ldapsUrl,
    );
    expect(searchEntries.map((entry) => entry.dn)).toEqual([ldap.users['special'].dn]);
    expect(searchEntries[0]['cn']).toBe(ldap.users['special'].cn);
  });

  it('lets a user bind with its own password only, and refuses anonymous reads', async () => {
    const alice = ldap.users['alice'];
    const bind = async (dn: string, password: string): Promise<boolean> => {
      const client = new Client({ url: ldap.ldapUrl, timeout: 10_000 });
      try {
        await client.bind(dn, password);
        return true;
      } catch {
        return false;
      } finally {
        await client.unbind().catch(() => undefined);
      }
    };
    expect(await bind(alice.dn, alice.password)).toBe(true);
    expect(await bind(alice.dn, ldap.users['bob'].password)).toBe(false);
    const anonymous = new Client({ url: ldap.ldapUrl, timeout: 10_000 });
    try {
      // slapd does not even admit the base exists to someone who may not read it.
      await expect(anonymous.search(ldap.peopleDn, { filter: '(uid=alice)' })).rejects.toBeInstanceOf(
        NoSuchObjectError,
      );
    } finally {
      await anonymous.unbind();
    }
    expect(ldap.bindsLogged()).toContain(alice.dn);
  });

  it(`cuts a search that is not paged at ${OPENLDAP_SIZE_LIMIT} entries, and pages past it`, async () => {
    await asService(async (client) => {
      await expect(
        client.search(ldap.peopleDn, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid'] }),
      ).rejects.toBeInstanceOf(SizeLimitExceededError);
      const { searchEntries } = await client.search(ldap.peopleDn, {
        filter: '(objectClass=inetOrgPerson)',
        attributes: ['uid'],
        paged: { pageSize: 200 },
      });
      expect(searchEntries.length).toBe(OPENLDAP_BULK.bigGroupMembers + Object.keys(ldap.users).length);
    });
  });
});
