import type { Entry } from 'ldapts';

import type { authV1 } from '@flotilla/contracts';
import type { DirectoryConfig } from '@flotilla/platform/config';

import { AdAccountAttributes, adAccountRefusal, fileTimeToDate } from '../directory/account-state';
import { decodeSid, sidInDomain } from '../directory/directory-ids';
import { DIRECTORY_REFUSALS } from '../directory/directory-refusal';
import type { DirectoryGroup } from '../directory/directory-user';
import { bufferOf, textOf } from '../directory/entry-values';
import type { SignInNameRules } from '../directory/sign-in-name';

import type { DiagnosticStep } from './diagnostic-step';

/** A diagnosis with nothing found yet: every field present, as the wire wants. */
export function emptyDiagnosis(): authV1.DirectoryDiagnostics {
  return {
    configured: false,
    directoryKind: '',
    nameForm: '',
    filter: '',
    baseDn: '',
    outcome: '',
    message: '',
    dn: '',
    matchedDns: [],
    userKey: '',
    accountName: '',
    principalName: '',
    displayName: '',
    refusal: '',
    refusalCode: '',
    refusalMessage: '',
    accountAttributes: [],
    groupBaseDn: '',
    groups: [],
    teamsResolved: false,
    teams: [],
    teamNote: '',
    answeredBy: '',
    steps: [],
    totalMs: 0,
  };
}

export function stepToWire(step: DiagnosticStep): authV1.DirectoryDiagnosticStep {
  return {
    step: step.step,
    controller: step.controller,
    durationMs: Math.round(step.durationMs * 10) / 10,
    ok: step.ok,
    error: step.error ?? '',
    detail: step.detail ?? '',
  };
}

/** Why parseSignInName found the typed text to be nobody's name, in words an administrator can act on. */
export function whyNobody(typed: string, rules: SignInNameRules): string {
  const name = typed.trim();
  if (!name) return 'The name is empty';
  const backslash = name.indexOf('\\');
  if (backslash >= 0) {
    if (!rules.netbiosDomain)
      return 'DOMAIN\\user names are not accepted: no NetBIOS domain is configured (FLOTILLA_DIRECTORY_NETBIOS_DOMAIN)';
    const domain = name.slice(0, backslash);
    if (domain.toUpperCase() !== rules.netbiosDomain)
      return `The domain ${domain} is not the configured ${rules.netbiosDomain}`;
    return 'A DOMAIN\\user name has one backslash and an account name without @';
  }
  const at = name.lastIndexOf('@');
  if (at >= 0 && rules.upnSuffixes.length > 0)
    return `The UPN suffix ${name.slice(at + 1)} is not one of ${rules.upnSuffixes.join(', ')} (FLOTILLA_DIRECTORY_UPN_SUFFIXES)`;
  return 'The name is too long, holds control characters or has nothing before its @';
}

type Membership = 'primary' | 'direct' | 'nested';

/**
 * Each group with how the user is in it: primary (AD's primaryGroupID, which no member attribute
 * lists), direct (a member attribute lists the user) or nested (through other groups).
 */
export function classifyGroups(
  groups: readonly DirectoryGroup[],
  directDns: ReadonlySet<string>,
  primaryGroupId: string | undefined,
): authV1.DirectoryDiagnosticGroup[] {
  const order: Record<Membership, number> = { primary: 0, direct: 1, nested: 2 };
  const classified = groups.map((group) => {
    const membership: Membership =
      group.id === primaryGroupId ? 'primary' : directDns.has(group.dn.toLowerCase()) ? 'direct' : 'nested';
    return { id: group.id, dn: group.dn, name: group.name, membership };
  });
  return classified.sort((a, b) => order[a.membership] - order[b.membership] || a.name.localeCompare(b.name));
}

/** The SID of an AD user's primary group: the user's domain SID and primaryGroupID. */
export function primaryGroupSid(entry: Entry): string | undefined {
  const userSid = bufferOf(entry, 'objectSid');
  const rid = Number(textOf(entry, 'primaryGroupID'));
  if (!userSid || !Number.isInteger(rid) || rid <= 0) return undefined;
  return sidInDomain(decodeSid(userSid).replace(/-\d+$/, ''), rid);
}

const FILETIME_ATTRIBUTES = new Set(['lockoutTime', 'accountExpires', 'pwdLastSet']);
const NEVER = '9223372036854775807';

/** name=value for each account attribute; FILETIMEs also as a date, flags also in hex. */
export function describeAccountAttributes(attributes: AdAccountAttributes): string[] {
  return (Object.entries(attributes) as [string, string][]).map(([name, value]) => {
    if (FILETIME_ATTRIBUTES.has(name) && /^\d+$/.test(value) && value !== '0' && value !== NEVER)
      return `${name}=${value} (${fileTimeToDate(BigInt(value)).toISOString()})`;
    if (/^\d+$/.test(value) && !FILETIME_ATTRIBUTES.has(name))
      return `${name}=${value} (0x${Number(value).toString(16)})`;
    return `${name}=${value}`;
  });
}

/** What sign-in would refuse this AD account for, with what the person would be told. */
export function refusalOf(
  attributes: AdAccountAttributes,
  now: Date,
): Pick<authV1.DirectoryDiagnostics, 'refusal' | 'refusalCode' | 'refusalMessage'> {
  const kind = adAccountRefusal(attributes, now);
  if (!kind) return { refusal: '', refusalCode: '', refusalMessage: '' };
  const { code, message } = DIRECTORY_REFUSALS[kind];
  return { refusal: kind, refusalCode: code, refusalMessage: message };
}

export function nameRules(config: DirectoryConfig): SignInNameRules {
  return {
    ...(config.netbiosDomain ? { netbiosDomain: config.netbiosDomain } : {}),
    upnSuffixes: config.upnSuffixes,
  };
}
