import { readFileSync } from 'node:fs';

import { EnvReader } from './env-reader';

/**
 * `ad`: Active Directory (sAMAccountName / DOMAIN\user / UPN, objectGUID, objectSid, in-chain
 * group matching, account-state attributes). `ldap`: a generic LDAP v3 server (uid, entryUUID,
 * groups walked by the client).
 */
export type DirectoryKind = 'ad' | 'ldap';

/** What to do with search continuation references (referrals to other servers). */
export type DirectoryReferrals = 'ignore' | 'follow';

export interface DirectoryConfig {
  kind: DirectoryKind;
  /** Domain controllers, tried in this order; a dead one is skipped for `cooldownMs`. */
  urls: string[];
  /** Upgrade ldap:// connections with StartTLS before any bind. */
  startTls: boolean;
  /** PEM of the CA(s) that signed the controllers' certificates; undefined: Node's public roots. */
  ca?: string;
  /** The name the controllers' certificates must carry, when the URLs reach them by another (an IP). */
  tlsServerName?: string;
  /** A password bind over plain ldap:// without StartTLS; refused unless set. */
  allowPlainBind: boolean;
  bindDn: string;
  bindPassword: string;
  /** Where users are searched. */
  baseDn: string;
  /** Where groups are searched (nested look-ups are scoped to it); defaults to baseDn. */
  groupBaseDn: string;
  /** The short domain name accepted in `DOMAIN\user` (upper-cased). Required for kind=ad. */
  netbiosDomain?: string;
  /** UPN suffixes accepted in `user@suffix` (lower-cased); empty: any suffix, the directory decides. */
  upnSuffixes: string[];
  /** Connect timeout and per-operation timeout, per controller. */
  timeoutMs: number;
  /** How long a controller that did not answer is skipped. */
  cooldownMs: number;
  referrals: DirectoryReferrals;
  /**
   * The groups whose members (direct, nested or primary) may sign in, as objectSid (`S-1-5-21-…`,
   * AD: survives renames and moves) or DN (either directory; compared without letter case). Never
   * names: two groups in two OUs can share one, and a rename would silently change who gets in.
   * Absent or empty: any directory user may sign in.
   */
  allowedGroups?: readonly string[];
}

/** Every variable, so messages and the README name them the same way. */
export const DIRECTORY_SETTINGS = {
  kind: 'FLOTILLA_DIRECTORY_KIND',
  urls: 'FLOTILLA_DIRECTORY_URLS',
  startTls: 'FLOTILLA_DIRECTORY_STARTTLS',
  caFile: 'FLOTILLA_DIRECTORY_CA_FILE',
  tlsServerName: 'FLOTILLA_DIRECTORY_TLS_SERVER_NAME',
  allowPlainBind: 'FLOTILLA_DIRECTORY_ALLOW_PLAIN_BIND',
  bindDn: 'FLOTILLA_DIRECTORY_BIND_DN',
  bindPassword: 'FLOTILLA_DIRECTORY_BIND_PASSWORD',
  bindPasswordFile: 'FLOTILLA_DIRECTORY_BIND_PASSWORD_FILE',
  baseDn: 'FLOTILLA_DIRECTORY_BASE_DN',
  groupBaseDn: 'FLOTILLA_DIRECTORY_GROUP_BASE_DN',
  netbiosDomain: 'FLOTILLA_DIRECTORY_NETBIOS_DOMAIN',
  upnSuffixes: 'FLOTILLA_DIRECTORY_UPN_SUFFIXES',
  timeoutMs: 'FLOTILLA_DIRECTORY_TIMEOUT_MS',
  cooldownMs: 'FLOTILLA_DIRECTORY_COOLDOWN_MS',
  referrals: 'FLOTILLA_DIRECTORY_REFERRALS',
  syncIntervalMs: 'FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS',
  allowedGroups: 'FLOTILLA_DIRECTORY_ALLOWED_GROUPS',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const S = DIRECTORY_SETTINGS;

function readBoolean(reader: EnvReader, name: string): boolean {
  const raw = reader.optionalString(name);
  if (raw === undefined) return false;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  reader.problem(`${name} must be true or false (got "${raw}")`);
  return false;
}

function readFile(reader: EnvReader, name: string, path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    // Not instanceof Error: fs errors can come from another realm (jest's sandbox).
    reader.problem(`${name} cannot be read: ${(error as { message?: string }).message ?? String(error)}`);
    return undefined;
  }
}

function readUrls(reader: EnvReader): string[] {
  const urls = reader
    .string(S.urls)
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    const plain = parsed && (parsed.protocol === 'ldap:' || parsed.protocol === 'ldaps:');
    if (!parsed || !plain || !parsed.hostname || (parsed.pathname !== '' && parsed.pathname !== '/')) {
      reader.problem(`${S.urls}: "${url}" must be ldap://host[:port] or ldaps://host[:port], nothing after`);
    }
  }
  return urls;
}

function readBindPassword(reader: EnvReader): string {
  const inline = reader.optionalString(S.bindPassword);
  const file = reader.optionalString(S.bindPasswordFile);
  if (inline && file) reader.problem(`Set ${S.bindPassword} or ${S.bindPasswordFile}, not both`);
  // A file's trailing newline is not part of the password (echo secret > file).
  const password = file ? readFile(reader, S.bindPasswordFile, file)?.replace(/\r?\n$/, '') : inline;
  if (!password)
    reader.problem(`${S.bindPassword} or ${S.bindPasswordFile} is required (the search account's password)`);
  return password ?? '';
}

function readTls(reader: EnvReader, urls: readonly string[], startTls: boolean) {
  const caFile = reader.optionalString(S.caFile);
  const tlsServerName = reader.optionalString(S.tlsServerName);
  const anyTls = startTls || urls.some((url) => url.startsWith('ldaps:'));
  if (!anyTls && (caFile || tlsServerName)) {
    reader.problem(
      `${caFile ? S.caFile : S.tlsServerName} is set but no connection uses TLS: use ldaps:// URLs or ${S.startTls}=true`,
    );
  }
  if (tlsServerName && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(tlsServerName)) {
    reader.problem(`${S.tlsServerName} must be a host name (got "${tlsServerName}")`);
  }
  const ca = caFile ? readFile(reader, S.caFile, caFile) : undefined;
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    reader.problem(`${S.caFile} (${caFile}) holds no PEM certificate`);
  }
  return { ...(ca ? { ca } : {}), ...(tlsServerName ? { tlsServerName } : {}) };
}

const SID = /^S-1-\d+(-\d+)+$/i;
/** The start of a DN: an attribute type (name or OID) and `=`. */
const DN_START = /^\s*([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)*)\s*=/;

/**
 * FLOTILLA_DIRECTORY_ALLOWED_GROUPS: entries separated by `;` (a DN holds commas; a `;` inside
 * one of its values is escaped `\;` by RFC 4514, so only an unescaped `;` separates), each a SID
 * or a DN. A bare name is refused with what to use instead.
 */
export function parseAllowedGroups(raw: string | undefined, problem: (message: string) => void): string[] {
  if (!raw) return [];
  const entries = raw
    .split(/(?<!\\);/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (SID.test(entry) || DN_START.test(entry)) continue;
    problem(
      `${S.allowedGroups}: "${entry}" is neither a SID (S-1-5-21-...) nor a DN (CN=...,DC=...); ` +
        `group names are ambiguous (two OUs can hold the same name, and a rename changes it): use the group's objectSid or its DN`,
    );
  }
  return entries.map((entry) => (SID.test(entry) ? entry.toUpperCase() : entry));
}

/**
 * Reads FLOTILLA_DIRECTORY_*: undefined when FLOTILLA_DIRECTORY_KIND is unset (directory sign-in
 * off, local accounts only). Every problem is collected and thrown at once as a ConfigError.
 * Certificate and host-name verification are always on for TLS; there is no setting to turn them off.
 */
export function loadDirectoryConfig(env: Env = process.env): DirectoryConfig | undefined {
  const reader = new EnvReader(env);
  if (reader.optionalString(S.kind) === undefined) {
    const stray = Object.keys(env).filter(
      (name) => name.startsWith('FLOTILLA_DIRECTORY_') && env[name]?.trim(),
    );
    if (stray.length > 0) {
      reader.problem(
        `${stray.join(', ')} set but ${S.kind} is not: set it to ad or ldap, or unset the others`,
      );
    }
    reader.done();
    return undefined;
  }
  const kind = reader.oneOf<DirectoryKind>(S.kind, ['ad', 'ldap'], 'ad');
  const urls = readUrls(reader);
  const startTls = readBoolean(reader, S.startTls);
  const allowPlainBind = readBoolean(reader, S.allowPlainBind);
  if (startTls && urls.some((url) => url.startsWith('ldaps:'))) {
    reader.problem(
      `${S.startTls}=true applies to ldap:// URLs only; ldaps:// is TLS already: use one or the other`,
    );
  }
  const plainUrls = urls.filter((url) => url.startsWith('ldap:'));
  if (!startTls && !allowPlainBind && plainUrls.length > 0) {
    reader.problem(
      `${S.urls} has plain ${plainUrls.join(', ')}: passwords would cross the network unencrypted. ` +
        `Use ldaps://, or ${S.startTls}=true, or (a trusted link only) ${S.allowPlainBind}=true`,
    );
  }
  const tls = readTls(reader, urls, startTls);
  const baseDn = reader.string(S.baseDn);
  const netbiosDomain = reader.optionalString(S.netbiosDomain)?.toUpperCase();
  if (kind === 'ad' && !netbiosDomain) {
    reader.problem(`${S.netbiosDomain} is required for ${S.kind}=ad (the DOMAIN in DOMAIN\\user)`);
  }
  if (netbiosDomain && !/^[A-Z0-9][A-Z0-9._-]{0,14}$/.test(netbiosDomain)) {
    reader.problem(
      `${S.netbiosDomain} must be a NetBIOS domain name (1-15 characters, got "${netbiosDomain}")`,
    );
  }
  const config: DirectoryConfig = {
    kind,
    urls,
    startTls,
    ...tls,
    allowPlainBind,
    bindDn: reader.string(S.bindDn),
    bindPassword: readBindPassword(reader),
    baseDn,
    groupBaseDn: reader.optionalString(S.groupBaseDn) ?? baseDn,
    ...(netbiosDomain ? { netbiosDomain } : {}),
    upnSuffixes: (reader.optionalString(S.upnSuffixes) ?? '')
      .split(',')
      .map((suffix) => suffix.trim().toLowerCase().replace(/^@/, ''))
      .filter(Boolean),
    timeoutMs: reader.int(S.timeoutMs, 5000, { min: 100, max: 120_000 }),
    cooldownMs: reader.int(S.cooldownMs, 60_000, { min: 0, max: 3_600_000 }),
    referrals: reader.oneOf<DirectoryReferrals>(S.referrals, ['ignore', 'follow'], 'ignore'),
    allowedGroups: parseAllowedGroups(reader.optionalString(S.allowedGroups), (message) =>
      reader.problem(message),
    ),
  };
  if (urls.length === 0 && env[S.urls]?.trim()) reader.problem(`${S.urls} names no domain controller`);
  reader.done();
  return config;
}

/**
 * How often the directory sync (once per cluster) revokes the accounts the directory disabled or
 * removed: FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS, default 5 minutes, 1 s to 1 day. Its own loader,
 * so DirectoryConfig (what sign-in needs) stays as it is; a bad value is a ConfigError at start.
 */
export function loadDirectorySyncIntervalMs(env: Env = process.env): number {
  const reader = new EnvReader(env);
  const intervalMs = reader.int(S.syncIntervalMs, 300_000, { min: 1000, max: 86_400_000 });
  reader.done();
  return intervalMs;
}
