import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadDirectoryConfig } from './directory-config';
import { ConfigError } from './env-reader';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function problemsOf(env: Record<string, string>): string {
  try {
    loadDirectoryConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe(loadDirectoryConfig.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'directory-config-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, PEM);
  const passwordFile = join(dir, 'bind-password');
  writeFileSync(passwordFile, 'from-a-file\n');
  const ad = {
    FLOTILLA_DIRECTORY_KIND: 'ad',
    FLOTILLA_DIRECTORY_URLS: 'ldaps://dc1.flotilla.test, ldaps://dc2.flotilla.test:636',
    FLOTILLA_DIRECTORY_BIND_DN: 'CN=svc,CN=Users,DC=flotilla,DC=test',
    FLOTILLA_DIRECTORY_BIND_PASSWORD: 'secret',
    FLOTILLA_DIRECTORY_BASE_DN: 'DC=flotilla,DC=test',
    FLOTILLA_DIRECTORY_NETBIOS_DOMAIN: 'flotilla',
  };

  it('is off when FLOTILLA_DIRECTORY_KIND is unset', () => {
    expect(loadDirectoryConfig({})).toBeUndefined();
  });

  it('refuses directory settings without a kind rather than ignoring them', () => {
    expect(problemsOf({ FLOTILLA_DIRECTORY_URLS: 'ldaps://dc1' })).toMatch(
      /FLOTILLA_DIRECTORY_URLS set but FLOTILLA_DIRECTORY_KIND is not/,
    );
  });

  it('reads a minimal AD configuration with its defaults', () => {
    expect(loadDirectoryConfig(ad)).toEqual({
      kind: 'ad',
      urls: ['ldaps://dc1.flotilla.test', 'ldaps://dc2.flotilla.test:636'],
      startTls: false,
      allowPlainBind: false,
      bindDn: ad.FLOTILLA_DIRECTORY_BIND_DN,
      bindPassword: 'secret',
      baseDn: 'DC=flotilla,DC=test',
      groupBaseDn: 'DC=flotilla,DC=test',
      netbiosDomain: 'FLOTILLA',
      upnSuffixes: [],
      timeoutMs: 5000,
      cooldownMs: 60_000,
      referrals: 'ignore',
      allowedGroups: [],
    });
  });

  it('reads the CA file, server name, group base, UPN suffixes, timeouts and referral policy', () => {
    const config = loadDirectoryConfig({
      ...ad,
      FLOTILLA_DIRECTORY_CA_FILE: caFile,
      FLOTILLA_DIRECTORY_TLS_SERVER_NAME: 'dc.flotilla.test',
      FLOTILLA_DIRECTORY_GROUP_BASE_DN: 'OU=Groups,DC=flotilla,DC=test',
      FLOTILLA_DIRECTORY_UPN_SUFFIXES: '@Flotilla.Test, corp.example',
      FLOTILLA_DIRECTORY_TIMEOUT_MS: '1500',
      FLOTILLA_DIRECTORY_COOLDOWN_MS: '0',
      FLOTILLA_DIRECTORY_REFERRALS: 'follow',
    });
    expect(config).toMatchObject({
      ca: PEM,
      tlsServerName: 'dc.flotilla.test',
      groupBaseDn: 'OU=Groups,DC=flotilla,DC=test',
      upnSuffixes: ['flotilla.test', 'corp.example'],
      timeoutMs: 1500,
      cooldownMs: 0,
      referrals: 'follow',
    });
  });

  it('reads the bind password from a file without its trailing newline, and refuses both', () => {
    const { FLOTILLA_DIRECTORY_BIND_PASSWORD: _inline, ...withoutInline } = ad;
    expect(
      loadDirectoryConfig({ ...withoutInline, FLOTILLA_DIRECTORY_BIND_PASSWORD_FILE: passwordFile })
        ?.bindPassword,
    ).toBe('from-a-file');
    expect(problemsOf({ ...ad, FLOTILLA_DIRECTORY_BIND_PASSWORD_FILE: passwordFile })).toMatch(/not both/);
    expect(problemsOf(withoutInline)).toMatch(/FLOTILLA_DIRECTORY_BIND_PASSWORD or .*_FILE is required/);
  });

  it('refuses a password bind over plain LDAP unless StartTLS or ALLOW_PLAIN_BIND says otherwise', () => {
    const plain = { ...ad, FLOTILLA_DIRECTORY_URLS: 'ldap://dc1.flotilla.test' };
    expect(problemsOf(plain)).toMatch(/unencrypted.*FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND=true/);
    expect(loadDirectoryConfig({ ...plain, FLOTILLA_DIRECTORY_STARTTLS: 'true' })?.startTls).toBe(true);
    expect(
      loadDirectoryConfig({ ...plain, FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND: 'true' })?.allowPlainBind,
    ).toBe(true);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      FLOTILLA_DIRECTORY_KIND: 'novell',
      FLOTILLA_DIRECTORY_URLS: 'http://dc1, ldaps://dc2/DC=x',
      FLOTILLA_DIRECTORY_STARTTLS: 'yes',
      FLOTILLA_DIRECTORY_TIMEOUT_MS: '0',
      FLOTILLA_DIRECTORY_REFERRALS: 'chase',
      FLOTILLA_DIRECTORY_CA_FILE: join(dir, 'missing.pem'),
    });
    for (const expected of [
      /FLOTILLA_DIRECTORY_KIND must be one of ad, ldap/,
      /"http:\/\/dc1" must be ldap:\/\/host/,
      /"ldaps:\/\/dc2\/DC=x" must be/,
      /FLOTILLA_DIRECTORY_STARTTLS must be true or false/,
      /FLOTILLA_DIRECTORY_TIMEOUT_MS must be a whole number from 100/,
      /FLOTILLA_DIRECTORY_REFERRALS must be one of ignore, follow/,
      /FLOTILLA_DIRECTORY_CA_FILE cannot be read/,
      /FLOTILLA_DIRECTORY_BIND_DN is required/,
      /FLOTILLA_DIRECTORY_BASE_DN is required/,
    ]) {
      expect(problems).toMatch(expected);
    }
  });

  it('requires the NetBIOS domain for AD only', () => {
    const { FLOTILLA_DIRECTORY_NETBIOS_DOMAIN: _netbios, ...withoutNetbios } = ad;
    expect(problemsOf(withoutNetbios)).toMatch(/FLOTILLA_DIRECTORY_NETBIOS_DOMAIN is required/);
    expect(loadDirectoryConfig({ ...withoutNetbios, FLOTILLA_DIRECTORY_KIND: 'ldap' })?.kind).toBe('ldap');
  });

  it('refuses a CA file that is not PEM, and a CA or server name with no TLS connection to use it', () => {
    expect(problemsOf({ ...ad, FLOTILLA_DIRECTORY_CA_FILE: passwordFile })).toMatch(
      /holds no PEM certificate/,
    );
    expect(
      problemsOf({
        ...ad,
        FLOTILLA_DIRECTORY_URLS: 'ldap://dc1',
        FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND: 'true',
        FLOTILLA_DIRECTORY_CA_FILE: caFile,
      }),
    ).toMatch(/no connection uses TLS/);
  });

  describe('FLOTILLA_DIRECTORY_ALLOWED_GROUPS', () => {
    const groups = (value: string) =>
      loadDirectoryConfig({ ...ad, FLOTILLA_DIRECTORY_ALLOWED_GROUPS: value })?.allowedGroups;

    it('takes SIDs and DNs separated by ";" (a DN keeps its commas and its escaped "\\;")', () => {
      expect(
        groups(' s-1-5-21-1-2-3-1104 ; CN=Deploy\\; Ops,OU=Groups,DC=flotilla,DC=test;CN=a\\,b,DC=x ;'),
      ).toEqual(['S-1-5-21-1-2-3-1104', 'CN=Deploy\\; Ops,OU=Groups,DC=flotilla,DC=test', 'CN=a\\,b,DC=x']);
    });

    it('is empty (anyone in the directory) when unset or blank', () => {
      expect(groups('  ')).toEqual([]);
    });

    it('refuses a bare group name, saying to use the SID or the DN', () => {
      expect(problemsOf({ ...ad, FLOTILLA_DIRECTORY_ALLOWED_GROUPS: 'S-1-5-21-9;Flotilla Users' })).toMatch(
        /"Flotilla Users" is neither a SID .* nor a DN .*use the group's objectSid or its DN/,
      );
    });
  });
});
