import { readFileSync } from 'node:fs';

import type { DirectoryConfig } from '@flotilla/platform/config';
import type { OpenLdap } from '@flotilla/testing';

/**
 * The generic-LDAP settings that reach a test's OpenLDAP slapd: StartTLS verified against its CA
 * and host name, its search account, groups walked under the seeded groups' OU. Specs change what
 * they test through `overrides` (ldaps://, a wrong CA, a plain bind...).
 */
export function openLdapDirectoryConfig(
  ldap: OpenLdap,
  overrides: Partial<DirectoryConfig> = {},
): DirectoryConfig {
  return {
    kind: 'ldap',
    urls: [ldap.ldapUrl],
    startTls: true,
    ca: readFileSync(ldap.caFile, 'utf8'),
    tlsServerName: ldap.hostName,
    allowPlainBind: false,
    bindDn: ldap.bindDn,
    bindPassword: ldap.bindPassword,
    baseDn: ldap.baseDn,
    groupBaseDn: ldap.groupsBaseDn,
    upnSuffixes: [],
    timeoutMs: 5000,
    cooldownMs: 60_000,
    referrals: 'ignore',
    ...overrides,
  };
}

/** A seeded record by key; a key the seed lacks fails the test by name. */
export function seeded<T>(records: Record<string, T>, key: string): T {
  const found = records[key];
  if (!found) throw new Error(`the OpenLDAP seed has no ${key}`);
  return found;
}
