import type { Entry } from 'ldapts';

import type { DirectoryRefusalKind } from './directory-refusal';
import { textOf } from './entry-values';

/** userAccountControl flags (MS-ADTS 2.2.16) Flotilla reads. */
export const UAC = {
  accountDisable: 0x2,
  lockout: 0x10,
  passwordExpired: 0x80_0000,
} as const;

/** 100-ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
/** accountExpires: 0 and 0x7FFFFFFFFFFFFFFF both mean "never". */
const NEVER = 0x7fff_ffff_ffff_ffffn;

/** The AD attributes that decide whether an account may sign in, as the directory returns them. */
export interface AdAccountAttributes {
  userAccountControl?: string;
  /** Constructed by AD/Samba from the domain's lockout and password policies: 0x10 locked, 0x800000 password expired. */
  'msDS-User-Account-Control-Computed'?: string;
  lockoutTime?: string;
  accountExpires?: string;
  pwdLastSet?: string;
}

export const AD_ACCOUNT_ATTRIBUTES: readonly (keyof AdAccountAttributes)[] = [
  'userAccountControl',
  'msDS-User-Account-Control-Computed',
  'lockoutTime',
  'accountExpires',
  'pwdLastSet',
];

/** The account-state attributes of an AD entry, by name whatever case the server answered in. */
export function adAccountAttributesOf(entry: Entry): AdAccountAttributes {
  const attributes: AdAccountAttributes = {};
  for (const name of AD_ACCOUNT_ATTRIBUTES) {
    const value = textOf(entry, name);
    if (value !== undefined) attributes[name] = value;
  }
  return attributes;
}

function bigintOf(value: string | undefined): bigint | undefined {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) return undefined;
  return BigInt(value.trim());
}

/** A FILETIME (100-ns ticks since 1601) as a Date. */
export function fileTimeToDate(ticks: bigint): Date {
  return new Date(Number((ticks - FILETIME_UNIX_EPOCH) / 10_000n));
}

/**
 * Why this AD account may not sign in now, or undefined when it may. Read after the user's own
 * bind succeeded (so the password was right): AD refuses most of these at the bind already
 * (see adBindRefusal), this catches the ones a directory lets bind anyway.
 *
 * Locked: the constructed attribute says whether the lockout still runs (AD keeps lockoutTime set
 * after the lockout duration passes, until the next sign-in); without it, a non-zero lockoutTime
 * counts as locked (the safe reading).
 */
export function adAccountRefusal(
  attributes: AdAccountAttributes,
  now: Date,
): DirectoryRefusalKind | undefined {
  const uac = Number(bigintOf(attributes.userAccountControl) ?? 0n);
  if (uac & UAC.accountDisable) return 'disabled';
  const computed = bigintOf(attributes['msDS-User-Account-Control-Computed']);
  if (computed !== undefined ? Number(computed) & UAC.lockout : (bigintOf(attributes.lockoutTime) ?? 0n) > 0n)
    return 'locked';
  const expires = bigintOf(attributes.accountExpires) ?? 0n;
  if (expires !== 0n && expires !== NEVER && fileTimeToDate(expires).getTime() <= now.getTime())
    return 'expired';
  if (bigintOf(attributes.pwdLastSet) === 0n) return 'password-change-required';
  if (computed !== undefined && Number(computed) & UAC.passwordExpired) return 'password-expired';
  return undefined;
}

/**
 * AD's own reason for refusing a bind (LDAP result 49): the diagnostic message carries a Windows
 * error as "data 52e" (MS-ADTS / the AcceptSecurityContext codes). Undefined: a wrong name or
 * password (525, 52e) or no code at all; those stay the one generic message.
 */
export function adBindRefusal(diagnosticMessage: string): DirectoryRefusalKind | undefined {
  const code = /\bdata ([0-9a-f]{3,8})\b/i.exec(diagnosticMessage)?.[1]?.toLowerCase();
  switch (code) {
    case '533':
      return 'disabled';
    case '775':
      return 'locked';
    case '701':
      return 'expired';
    case '773':
      return 'password-change-required';
    case '532':
      return 'password-expired';
    case '530':
    case '531':
      return 'logon-restricted';
    case undefined:
    default:
      return undefined;
  }
}
