import { Client } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';
import { GROUP_DEPTH_UNDER_TEST, OPENLDAP_BULK, OpenLdap, startOpenLdap } from '@flotilla/testing';

import { DirectoryClient, MAX_GROUP_DEPTH } from './directory-client';
import { DirectoryProtocolError } from './directory-refusal';
import type { DirectoryUser } from './directory-user';
import { openLdapDirectoryConfig, seeded } from './testing/openldap-directory-config.test-support';

/** A real OpenLDAP slapd (tools/testing/src/openldap), reached over StartTLS with its CA verified. */
let ldap: OpenLdap;

beforeAll(async () => {
  ldap = await startOpenLdap();
}, 120_000);

afterAll(async () => {
  await ldap?.stop();
});

const config = (overrides: Partial<DirectoryConfig> = {}): DirectoryConfig =>
  openLdapDirectoryConfig(ldap, overrides);
const user = (key: string) => seeded(ldap.users, key);
const group = (key: string) => seeded(ldap.groups, key);

function groupIds(signedIn: DirectoryUser | undefined): string[] {
  return (signedIn?.groups ?? []).map((found) => found.id).sort();
}

/** Changes the directory as its administrator (what an operator's rename would do). */
async function asAdmin(work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ url: ldap.ldapUrl, timeout: 10_000 });
  try {
    await client.bind(ldap.adminDn, ldap.adminPassword);
    await work(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describe('DirectoryClient against OpenLDAP (generic LDAP)', () => {
  it('signs in by uid and by mail in any letter case, all as one user keyed on its entryUUID', async () => {
    const client = new DirectoryClient(config());
    const alice = user('alice');
    const forms = ['alice', 'ALICE', 'aLiCe', alice.mail, alice.mail.toUpperCase(), 'Alice@Flotilla.Test'];
    const signedIn = await Promise.all(forms.map((form) => client.authenticate(form, alice.password)));
    expect(signedIn.map((found) => found?.externalId)).toEqual(forms.map(() => alice.entryUuid));
    expect(signedIn[0]).toMatchObject({
      dn: alice.dn,
      accountName: 'alice',
      principalName: alice.mail,
      displayName: alice.cn,
      answeredBy: ldap.ldapUrl,
    });
  });

  it('keeps the key through a rename (modrdn): the new uid signs in as the same user, the old one as nobody', async () => {
    const client = new DirectoryClient(config());
    const renamed = user('renamed');
    const before = await client.authenticate(renamed.uid, renamed.password);
    expect(before?.externalId).toBe(renamed.entryUuid);
    expect(groupIds(before)).toEqual([group('renamedTeam').entryUuid]);
    await asAdmin((admin) => admin.modifyDN(renamed.dn, 'uid=after-rename'));
    // slapd's refint overlay rewrites the group's member value in a thread of its own, after the
    // rename has answered: on a slow machine the first sign-in can come before it.
    let after = await client.authenticate('After-Rename', renamed.password);
    for (const deadline = Date.now() + 10_000; groupIds(after).length === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await client.authenticate('After-Rename', renamed.password);
    }
    expect(after).toMatchObject({ externalId: renamed.entryUuid, accountName: 'after-rename' });
    expect(after?.dn).toBe(`uid=after-rename,${ldap.peopleDn}`);
    // The server's refint overlay rewrote the group's member value: the same group, the same key.
    expect(groupIds(after)).toEqual([group('renamedTeam').entryUuid]);
    expect(await client.authenticate(renamed.uid, renamed.password)).toBeUndefined();
  });

  it("answers a wrong password, another user's password and an unknown user the same way: undefined", async () => {
    const client = new DirectoryClient(config());
    const alice = user('alice');
    expect(await client.authenticate('alice', 'Wrong-Password-1')).toBeUndefined();
    expect(await client.authenticate('alice', user('bob').password)).toBeUndefined();
    expect(await client.authenticate('nobody-here', alice.password)).toBeUndefined();
    expect(await client.authenticate('nobody@flotilla.test', alice.password)).toBeUndefined();
    expect(await client.authenticate('alice', '')).toBeUndefined();
    // The control: the same client signs alice in with her password.
    expect((await client.authenticate('alice', alice.password))?.externalId).toBe(alice.entryUuid);
  });

  it('finds direct and nested groups through three levels within the group base, keyed on entryUUID', async () => {
    const signedIn = await new DirectoryClient(config()).authenticate('alice', user('alice').password);
    expect(groupIds(signedIn)).toEqual(
      ['level1', 'level2', 'level3', 'big'].map((key) => group(key).entryUuid).sort(),
    );
    // groups.outside lists alice too, but outside the configured group base.
    expect(groupIds(signedIn)).not.toContain(group('outside').entryUuid);
    const wholeTree = await new DirectoryClient(config({ groupBaseDn: ldap.baseDn })).authenticate(
      'alice',
      user('alice').password,
    );
    expect(groupIds(wholeTree)).toContain(group('outside').entryUuid);
  });

  it('ends the walk on a cycle (cycle-a in cycle-b in cycle-a), each group once', async () => {
    const signedIn = await new DirectoryClient(config()).authenticate('bob', user('bob').password);
    expect(groupIds(signedIn)).toEqual([group('cycleA').entryUuid, group('cycleB').entryUuid].sort());
  });

  it('walks a chain exactly as deep as the limit, and fails (no shorter list) on a deeper one', async () => {
    expect(MAX_GROUP_DEPTH).toBe(GROUP_DEPTH_UNDER_TEST);
    const client = new DirectoryClient(config());
    const edge = await client.authenticate('deep-edge', user('deepEdge').password);
    expect(edge?.groups.map((found) => found.name).sort()).toEqual(
      ldap.deepChain.slice(-MAX_GROUP_DEPTH).map((found) => found.cn),
    );
    await expect(client.authenticate('deep', user('deep').password)).rejects.toThrow(DirectoryProtocolError);
    await expect(client.authenticate('deep', user('deep').password)).rejects.toThrow(
      `nest deeper than ${MAX_GROUP_DEPTH} levels`,
    );
  });

  it('signs in the user whose uid holds `, # ( ) \\ *` and non-ASCII, in another letter case, and walks its groups', async () => {
    const special = user('special');
    const client = new DirectoryClient(config());
    for (const typed of [special.uid, special.uid.toUpperCase(), special.mail]) {
      const signedIn = await client.authenticate(typed, special.password);
      expect(signedIn?.externalId).toBe(special.entryUuid);
      expect(signedIn?.accountName).toBe(special.uid);
      // Through the group whose DN holds the same characters: special in level1 in level2 in level3.
      expect(groupIds(signedIn)).toEqual(
        ['special', 'level1', 'level2', 'level3'].map((key) => group(key).entryUuid).sort(),
      );
      expect(signedIn?.groups.find((found) => found.id === group('special').entryUuid)?.name).toBe(
        group('special').cn,
      );
    }
  });

  it('takes `*` and other filter text as a literal name: `*` is the user named `*`, never everyone', async () => {
    const client = new DirectoryClient(config());
    const alice = user('alice');
    const star = user('star');
    for (const typed of ['*', 'a*', '*)(uid=*', 'alice)(|(uid=*', '\\2a', '(uid=alice)']) {
      expect(await client.authenticate(typed, alice.password)).toBeUndefined();
    }
    const signedIn = await client.authenticate('*', star.password);
    expect(signedIn).toMatchObject({ externalId: star.entryUuid, accountName: '*', dn: star.dn });
  });

  it(`reads all ${OPENLDAP_BULK.groupsOfMany} groups of a user, paged past the server's size limit`, async () => {
    const signedIn = await new DirectoryClient(config()).authenticate('many', user('many').password);
    expect(signedIn?.groups.map((found) => found.name).sort()).toEqual(
      ldap.groupsOfMany.map((found) => found.cn).sort(),
    );
  }, 60_000);

  it('fails, rather than returning the first page or pages, when the server cuts a paged search short', async () => {
    const limited = new DirectoryClient(
      config({ bindDn: ldap.limitedBindDn, bindPassword: ldap.limitedBindPassword }),
    );
    // The same account reads a user with a few groups...
    expect(groupIds(await limited.authenticate('bob', user('bob').password))).toHaveLength(2);
    // ...and is refused the 1,100 groups rather than handed 500 of them.
    const error = await limited.authenticate('many', user('many').password).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DirectoryProtocolError);
    expect((error as Error).message).toMatch(
      /cut a group search under .* short .*the user's groups are not all known/,
    );
  }, 60_000);
});
