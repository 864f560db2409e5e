import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client, EqualityFilter, SizeLimitExceededError } from 'ldapts';

import { ConfigError, DirectoryConfig, loadDirectoryConfig } from '@flotilla/platform/config';
import {
  OPENLDAP_BULK,
  OPENLDAP_SIZE_LIMIT,
  OpenLdap,
  openLdapDirectoryEnvironment,
  startOpenLdap,
} from '@flotilla/testing';

import { DirectoryClient } from './directory-client';
import { DirectoryUnavailableError } from './directory-refusal';
import { LdapConnection } from './ldap-connection';
import { openLdapDirectoryConfig, seeded } from './testing/openldap-directory-config.test-support';

/**
 * Transport rules against a real OpenLDAP slapd: certificate and host-name verification for
 * StartTLS and ldaps://, no password over plain LDAP unless allowed, paging past the size limit.
 * slapd's own log (every BIND it received) shows what never reached it.
 */
let ldap: OpenLdap;

beforeAll(async () => {
  ldap = await startOpenLdap();
}, 120_000);

afterAll(async () => {
  await ldap?.stop();
});

const config = (overrides: Partial<DirectoryConfig> = {}): DirectoryConfig =>
  openLdapDirectoryConfig(ldap, overrides);
const alice = () => seeded(ldap.users, 'alice');

async function failureOf(work: Promise<unknown>): Promise<Error> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof Error)) throw new Error(`expected a failure, got ${String(error)}`);
  return error;
}

let markers = 0;

/**
 * Binds (and fails) as a DN no entry has, and waits (bounded) until slapd's log, read from its
 * stderr, shows it: every BIND logged after it was sent after it.
 */
async function logMarker(): Promise<string> {
  const dn = `cn=log-marker-${++markers},${ldap.baseDn}`;
  const client = new Client({ url: ldap.ldapUrl, timeout: 10_000 });
  await client.bind(dn, 'not-a-password').catch(() => undefined);
  await client.unbind().catch(() => undefined);
  for (let waited = 0; !ldap.bindsLogged().includes(dn) && waited < 10_000; waited += 50) await sleep(50);
  return dn;
}

/**
 * Runs the refused attempts, then one sign-in that is allowed, and returns the BINDs slapd logged
 * between two markers: a bind sent by a refused attempt would stand before the allowed sign-in's
 * three (search account, user, search account again).
 */
async function bindsReachingSlapd(refused: () => Promise<void>): Promise<string[]> {
  const start = await logMarker();
  await refused();
  const allowed = await new DirectoryClient(config()).authenticate('alice', alice().password);
  expect(allowed?.externalId).toBe(alice().entryUuid);
  const end = await logMarker();
  const binds = ldap.bindsLogged();
  return binds.slice(binds.indexOf(start) + 1, binds.indexOf(end));
}

const allowedSignInBinds = () => [ldap.bindDn, alice().dn, ldap.bindDn];

describe('LdapConnection and DirectoryClient transport against OpenLDAP (generic LDAP)', () => {
  it('signs in over StartTLS and over ldaps:// with the test CA and host name verified', async () => {
    for (const overrides of [{}, { urls: [ldap.ldapsUrl], startTls: false }]) {
      const signedIn = await new DirectoryClient(config(overrides)).authenticate('alice', alice().password);
      expect(signedIn?.externalId).toBe(alice().entryUuid);
    }
  });

  it('refuses a server whose certificate the configured CA did not sign, before any password is sent', async () => {
    const untrusted = readFileSync(ldap.untrustedCaFile, 'utf8');
    const binds = await bindsReachingSlapd(async () => {
      for (const overrides of [{}, { urls: [ldap.ldapsUrl], startTls: false }]) {
        const client = new DirectoryClient(config({ ...overrides, ca: untrusted }));
        const error = await failureOf(client.authenticate('alice', alice().password));
        expect(error).toBeInstanceOf(DirectoryUnavailableError);
        expect(error.message).toMatch(/certificate/i);
      }
      // Without a configured CA, Node's public roots do not know the test CA either.
      const { ca: _ca, ...publicRoots } = config();
      const error = await failureOf(new DirectoryClient(publicRoots).authenticate('alice', alice().password));
      expect(error).toBeInstanceOf(DirectoryUnavailableError);
    });
    expect(binds).toEqual(allowedSignInBinds());
  });

  it('refuses a certificate that does not name the host, before any password is sent', async () => {
    const binds = await bindsReachingSlapd(async () => {
      for (const urls of [[ldap.ldapUrl], [ldap.ldapsUrl]]) {
        const startTls = urls[0].startsWith('ldap:');
        const wrongName = new DirectoryClient(
          config({ urls, startTls, tlsServerName: 'other.flotilla.test' }),
        );
        const error = await failureOf(wrongName.authenticate('alice', alice().password));
        expect(error).toBeInstanceOf(DirectoryUnavailableError);
        expect(error.message).toMatch(/other\.flotilla\.test|altnames|host/i);
        // No name configured: the certificate is checked against 127.0.0.1, which it does not carry.
        const { tlsServerName: _name, ...byAddress } = config({ urls, startTls });
        expect(
          await failureOf(new DirectoryClient(byAddress).authenticate('alice', alice().password)),
        ).toBeInstanceOf(DirectoryUnavailableError);
      }
    });
    expect(binds).toEqual(allowedSignInBinds());
  });

  it('never sends a password over plain ldap:// unless the plain bind is explicitly allowed', async () => {
    const plain = { startTls: false, ca: undefined, tlsServerName: undefined } as const;
    const binds = await bindsReachingSlapd(async () => {
      const error = await failureOf(
        new DirectoryClient(config({ ...plain, allowPlainBind: false })).authenticate(
          'alice',
          alice().password,
        ),
      );
      expect(error).toBeInstanceOf(DirectoryUnavailableError);
      expect(error.message).toContain('unencrypted');
      expect(error.message).toContain('FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND');
    });
    expect(binds).toEqual(allowedSignInBinds());
    // Allowed: the same sign-in goes through over plain LDAP.
    const allowed = await new DirectoryClient(config({ ...plain, allowPlainBind: true })).authenticate(
      'alice',
      alice().password,
    );
    expect(allowed?.externalId).toBe(alice().entryUuid);
  });

  it('reads FLOTILLA_DIRECTORY_* for generic LDAP: StartTLS works, plain ldap:// needs FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND', async () => {
    const fromEnv = loadDirectoryConfig(openLdapDirectoryEnvironment(ldap));
    expect(fromEnv).toMatchObject({ kind: 'ldap', startTls: true, tlsServerName: ldap.hostName });
    const signedIn = await new DirectoryClient(fromEnv!).authenticate(
      'Alice@flotilla.TEST',
      alice().password,
    );
    expect(signedIn?.externalId).toBe(alice().entryUuid);

    const plainEnv = openLdapDirectoryEnvironment(ldap, { FLOTILLA_DIRECTORY_STARTTLS: 'false' });
    delete plainEnv['FLOTILLA_DIRECTORY_CA_FILE'];
    delete plainEnv['FLOTILLA_DIRECTORY_TLS_SERVER_NAME'];
    const refused = (() => {
      try {
        loadDirectoryConfig(plainEnv);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).message).toContain('FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND');
    expect(
      loadDirectoryConfig({ ...plainEnv, FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND: 'true' })?.allowPlainBind,
    ).toBe(true);
  });

  it(`pages past the server's size limit (${OPENLDAP_SIZE_LIMIT}) completely, and fails an unpaged search there`, async () => {
    const connection = await LdapConnection.open(ldap.ldapUrl, config(), ldap.bindDn, ldap.bindPassword);
    try {
      const everyone = {
        scope: 'sub' as const,
        filter: new EqualityFilter({ attribute: 'objectClass', value: 'inetOrgPerson' }),
        attributes: ['entryUUID'],
      };
      await expect(connection.search(ldap.peopleDn, everyone)).rejects.toBeInstanceOf(SizeLimitExceededError);
      const { entries } = await connection.search(ldap.peopleDn, { ...everyone, paged: true });
      const people = OPENLDAP_BULK.bigGroupMembers + Object.keys(ldap.users).length;
      expect(entries).toHaveLength(people);
      expect(new Set(entries.map((entry) => String(entry['entryUUID']))).size).toBe(people);
      // One group of 1,200 members read whole: its member values are not cut at the size limit.
      const { entries: big } = await connection.search(seeded(ldap.groups, 'big').dn, {
        scope: 'base',
        filter: new EqualityFilter({ attribute: 'objectClass', value: 'groupOfNames' }),
        attributes: ['member'],
      });
      expect(big[0]?.['member']).toHaveLength(OPENLDAP_BULK.bigGroupMembers + 1);
    } finally {
      await connection.close();
    }
  }, 60_000);
});
