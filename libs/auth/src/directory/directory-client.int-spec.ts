import { execFileSync } from 'node:child_process';
import { createServer, Server, Socket } from 'node:net';

import type { DirectoryConfig } from '@flotilla/platform/config';
import { SambaAd, startSambaAd } from '@flotilla/testing';

import { AD_ACCOUNT_ATTRIBUTES, adAccountAttributesOf, adAccountRefusal } from './account-state';
import { DirectoryClient } from './directory-client';
import { adUserFilter } from './directory-filters';
import { DirectorySignInRefused, DirectoryUnavailableError } from './directory-refusal';
import type { DirectoryUser } from './directory-user';
import { LdapConnection } from './ldap-connection';
import { sambaDirectoryConfig, seededUser } from './testing/samba-directory-config.test-support';

/** Real Samba AD DC on loopback (helper tooling); every path below talks to it over TLS. */
let ad: SambaAd;

beforeAll(async () => {
  ad = await startSambaAd({ seed: 'basic' });
}, 180_000);

afterAll(async () => {
  await ad?.stop();
});

const config = (overrides: Partial<DirectoryConfig> = {}): DirectoryConfig =>
  sambaDirectoryConfig(ad, overrides);

const user = (key: string) => seededUser(ad, key);

function groupDns(signedIn: DirectoryUser | undefined): string[] {
  return (signedIn?.groups ?? []).map((group) => group.dn).sort();
}

async function refusalOf(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DirectorySignInRefused);
  return (error as DirectorySignInRefused).kind;
}

describe('DirectoryClient against Samba AD', () => {
  it('signs in by sAMAccountName, DOMAIN\\user and UPN in any letter case, all as one objectGUID', async () => {
    const client = new DirectoryClient(config());
    const alice = user('alice');
    const forms = [
      alice.sam,
      alice.sam.toUpperCase(),
      `${ad.netbiosDomain}\\${alice.sam}`,
      `${ad.netbiosDomain.toLowerCase()}\\${alice.sam.toUpperCase()}`,
      alice.upn,
      alice.upn.toUpperCase(),
    ];
    const signedIn = await Promise.all(forms.map((form) => client.authenticate(form, alice.password)));
    const ids = new Set(signedIn.map((found) => found?.externalId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(signedIn[0]).toMatchObject({ dn: alice.dn, accountName: alice.sam, answeredBy: ad.ldapsUrl });
  });

  it('answers a wrong password and an unknown name the same way: undefined', async () => {
    const client = new DirectoryClient(config());
    expect(await client.authenticate(user('alice').sam, 'Wrong-Password-1')).toBeUndefined();
    expect(await client.authenticate('nobody-here', 'Wrong-Password-1')).toBeUndefined();
    expect(
      await client.authenticate(`OTHERDOMAIN\\${user('alice').sam}`, user('alice').password),
    ).toBeUndefined();
    expect(await client.authenticate(user('alice').sam, '')).toBeUndefined();
    expect(await client.authenticate('*', user('alice').password)).toBeUndefined();
  });

  it('finds direct and nested groups (three levels) within the group base, keyed on objectSid', async () => {
    const signedIn = await new DirectoryClient(config()).authenticate(
      user('alice').sam,
      user('alice').password,
    );
    const dns = groupDns(signedIn);
    for (const key of ['level1', 'level2', 'level3', 'special']) expect(dns).toContain(ad.groups[key]?.dn);
    // Outside the configured group base: not seen.
    expect(dns).not.toContain(ad.groups['outside']?.dn);
    for (const group of signedIn?.groups ?? []) expect(group.id).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
  });

  it('signs in the user with special characters and finds their special group', async () => {
    const special = user('special');
    const signedIn = await new DirectoryClient(config()).authenticate(special.upn, special.password);
    expect(signedIn?.dn).toBe(special.dn);
    expect(groupDns(signedIn)).toContain(ad.groups['special']?.dn);
  });

  it('includes the primary group, which no member attribute lists', async () => {
    const carol = user('primary');
    const signedIn = await new DirectoryClient(config()).authenticate(carol.sam, carol.password);
    expect(groupDns(signedIn)).toContain(ad.groups['primary']?.dn);
  });

  it('terminates on a group cycle', async () => {
    const bob = user('bob');
    const dns = groupDns(await new DirectoryClient(config()).authenticate(bob.sam, bob.password));
    expect(dns).toEqual(expect.arrayContaining([ad.groups['cycleA']?.dn, ad.groups['cycleB']?.dn]));
  });

  it('refuses disabled, locked, expired and must-change accounts each with its own reason', async () => {
    const client = new DirectoryClient(config());
    const cases: [string, string][] = [
      ['disabled', 'disabled'],
      ['locked', 'locked'],
      ['expired', 'expired'],
      ['mustChange', 'password-change-required'],
    ];
    for (const [key, kind] of cases) {
      expect(await refusalOf(client.authenticate(user(key).sam, user(key).password))).toBe(kind);
    }
  });

  it("reads each refused state from the account's own attributes too (for directories that let the bind through)", async () => {
    const connection = await LdapConnection.open(ad.ldapsUrl, config(), ad.bindDn, ad.bindPassword);
    try {
      const stateOf = async (key: string) => {
        const { entries } = await connection.search(ad.baseDn, {
          scope: 'sub',
          filter: adUserFilter({ form: 'account', account: user(key).sam }),
          attributes: [...AD_ACCOUNT_ATTRIBUTES],
        });
        expect(entries).toHaveLength(1);
        return adAccountRefusal(adAccountAttributesOf(entries[0]), new Date());
      };
      expect(await stateOf('alice')).toBeUndefined();
      expect(await stateOf('disabled')).toBe('disabled');
      expect(await stateOf('locked')).toBe('locked');
      expect(await stateOf('expired')).toBe('expired');
      expect(await stateOf('mustChange')).toBe('password-change-required');
    } finally {
      await connection.close();
    }
  });

  it('signs in over StartTLS with the CA verified', async () => {
    const client = new DirectoryClient(config({ urls: [ad.ldapUrl], startTls: true }));
    expect((await client.authenticate(user('alice').sam, user('alice').password))?.dn).toBe(user('alice').dn);
  });

  it('refuses a controller whose certificate the configured CA did not sign (LDAPS and StartTLS)', async () => {
    // A CA of our own making that never signed Samba's certificate.
    const otherCa = execFileSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=Not the directory CA',
      '-days',
      '1',
      '-keyout',
      '/dev/null',
    ]).toString('utf8');
    expect(otherCa).toContain('BEGIN CERTIFICATE');
    for (const overrides of [{}, { urls: [ad.ldapUrl], startTls: true }]) {
      const client = new DirectoryClient(config({ ...overrides, ca: otherCa }));
      await expect(client.authenticate(user('alice').sam, user('alice').password)).rejects.toThrow(
        DirectoryUnavailableError,
      );
    }
  });

  it('refuses a certificate that does not name the host connected to', async () => {
    const { tlsServerName: _name, ...withoutName } = config();
    const client = new DirectoryClient({ ...withoutName, tlsServerName: 'someone-else.flotilla.test' });
    await expect(client.authenticate(user('alice').sam, user('alice').password)).rejects.toThrow(
      /No domain controller answered.*(altnames|Hostname)/,
    );
  });

  it('with referrals followed, fails naming a referral it cannot follow rather than skipping it', async () => {
    // A search from the domain root is referred to the Configuration partition at the DNS domain's
    // name, which nothing resolves here.
    const client = new DirectoryClient(config({ referrals: 'follow' }));
    await expect(client.authenticate(user('alice').sam, user('alice').password)).rejects.toThrow(
      /The referral ldaps:\/\/flotilla\.test\/CN=Configuration,DC=flotilla,DC=test could not be followed/,
    );
  });

  describe('with a controller that accepts connections and never answers', () => {
    let blackhole: Server;
    const sockets: Socket[] = [];
    let blackholeUrl: string;

    beforeAll(async () => {
      blackhole = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
      const address = blackhole.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      blackholeUrl = `ldaps://127.0.0.1:${address.port}`;
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    });

    it('skips it within the timeout, then not at all during the cool-down', async () => {
      const client = new DirectoryClient(config({ urls: [blackholeUrl, ad.ldapsUrl], timeoutMs: 1500 }));
      const alice = user('alice');
      const first = Date.now();
      expect((await client.authenticate(alice.sam, alice.password))?.answeredBy).toBe(ad.ldapsUrl);
      const firstMs = Date.now() - first;
      expect(firstMs).toBeGreaterThanOrEqual(1400);
      expect(firstMs).toBeLessThan(1500 + 1500);
      expect(sockets.length).toBe(1);

      const second = Date.now();
      expect((await client.authenticate(alice.sam, alice.password))?.answeredBy).toBe(ad.ldapsUrl);
      expect(Date.now() - second).toBeLessThan(1000);
      expect(sockets.length).toBe(1);
      expect(client.pool.state()[0]?.coolingUntil).toBeInstanceOf(Date);
    });

    it('skips it within the timeout when StartTLS is what never gets an answer', async () => {
      const plainBlackhole = blackholeUrl.replace('ldaps://', 'ldap://');
      const client = new DirectoryClient(
        config({ urls: [plainBlackhole, ad.ldapUrl], startTls: true, timeoutMs: 1000 }),
      );
      const started = Date.now();
      expect((await client.authenticate(user('alice').sam, user('alice').password))?.answeredBy).toBe(
        ad.ldapUrl,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('says the directory is unavailable (not "wrong password") when no controller answers', async () => {
      const client = new DirectoryClient(config({ urls: [blackholeUrl], timeoutMs: 500 }));
      await expect(client.authenticate(user('alice').sam, user('alice').password)).rejects.toThrow(
        DirectoryUnavailableError,
      );
    });
  });
});
