import { readFileSync } from 'node:fs';

import { Attribute, Change, type Client } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';
import type { SambaAd } from '@flotilla/testing';

import { decodeSid } from '../directory-ids';

/**
 * The directory settings that reach a test's Samba AD DC: LDAPS verified against its CA and host
 * name, its search account, nested groups scoped to the seeded groups' OU. Specs change what they
 * test through `overrides` (StartTLS, timeouts, the group base...).
 */
export function sambaDirectoryConfig(ad: SambaAd, overrides: Partial<DirectoryConfig> = {}): DirectoryConfig {
  return {
    kind: 'ad',
    urls: [ad.ldapsUrl],
    startTls: false,
    ca: readFileSync(ad.caFile, 'utf8'),
    tlsServerName: ad.hostName,
    allowPlainBind: false,
    bindDn: ad.bindDn,
    bindPassword: ad.bindPassword,
    baseDn: ad.baseDn,
    groupBaseDn: ad.groupsBaseDn,
    netbiosDomain: ad.netbiosDomain,
    upnSuffixes: [],
    timeoutMs: 2000,
    cooldownMs: 60_000,
    referrals: 'ignore',
    ...overrides,
  };
}

/** A seeded user by its key in SambaAd.users; a key the seed lacks fails the test by name. */
export function seededUser(ad: SambaAd, key: string): SambaAd['users'][string] {
  const user = ad.users[key];
  if (!user) throw new Error(`the seed has no user ${key}`);
  return user;
}

/** Sets a user's userAccountControl as the domain's administrator would: 512 enabled, 514 disabled. */
export async function setUserAccountControl(admin: Client, dn: string, value: 512 | 514): Promise<void> {
  await admin.modify(
    dn,
    new Change({
      operation: 'replace',
      modification: new Attribute({ type: 'userAccountControl', values: [String(value)] }),
    }),
  );
}

/** An entry's objectSid in its text form (S-1-5-21-…), read over `admin`'s bound connection. */
export async function readObjectSid(admin: Client, dn: string): Promise<string> {
  const { searchEntries } = await admin.search(dn, {
    scope: 'base',
    attributes: ['objectSid'],
    explicitBufferAttributes: ['objectSid'],
  });
  const value = searchEntries[0]?.['objectSid'];
  if (!Buffer.isBuffer(value)) throw new Error(`no objectSid for ${dn}`);
  return decodeSid(value);
}
