import type { DirectoryConfig } from '@flotilla/platform/config';

import type { DirectoryGroup } from '../directory/directory-user';

/** What a directory user outside the allowed groups is told (the code starts the PERMISSION_DENIED message). */
export const NOT_IN_ALLOWED_GROUP = {
  code: 'DirectoryGroupNotAllowed',
  message:
    'your account is not in a group allowed to use Flotilla; ask your directory administrator (or a Flotilla administrator) to add you to one of them',
} as const;

/** A right password from a directory user in none of the allowed groups. */
export class NotInAllowedGroupRefusal extends Error {
  readonly code = NOT_IN_ALLOWED_GROUP.code;

  constructor() {
    super(`${NOT_IN_ALLOWED_GROUP.code}: ${NOT_IN_ALLOWED_GROUP.message}`);
    this.name = 'NotInAllowedGroupRefusal';
  }
}

const SID = /^S-1-\d+(-\d+)+$/i;

/** RFC 4514 escapes: `\` followed by a special character or by two hex digits (one UTF-8 byte). */
function unescapeDnValue(value: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < value.length; index++) {
    const char = value[index];
    if (char === '\\' && /^[0-9a-fA-F]{2}$/.test(value.slice(index + 1, index + 3))) {
      bytes.push(parseInt(value.slice(index + 1, index + 3), 16));
      index += 2;
    } else if (char === '\\' && index + 1 < value.length) {
      bytes.push(...Buffer.from(value[index + 1], 'utf8'));
      index += 1;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Splits at `separator` where it is not escaped by a backslash. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '\\' && index + 1 < text.length) {
      current += char + text[index + 1];
      index += 1;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * A DN in one comparable form: attribute types and values without letter case (AD and the usual
 * LDAP schemas compare DNs case-insensitively), spaces around `,` `=` dropped, escapes resolved
 * (so `\2C` and `\,` are one comma). Multi-valued RDNs (`+`) are compared as written.
 */
export function comparableDn(dn: string): string {
  const rdns = splitUnescaped(dn.trim(), ',').map((rdn) => {
    const [type = '', ...rest] = splitUnescaped(rdn, '=');
    return [type.trim().toLowerCase(), unescapeDnValue(rest.join('=').trim()).toLowerCase()];
  });
  return JSON.stringify(rdns);
}

/**
 * FLOTILLA_DIRECTORY_ALLOWED_GROUPS as a decision: who of the directory's users may use Flotilla.
 * A SID matches an AD group's objectSid (DirectoryGroup.id); a DN matches a group's DN (either
 * directory). The groups given are the user's direct, nested and primary groups, as sign-in and
 * the sync read them. No allowed groups: everyone the directory lets sign in.
 */
export class AllowedGroups {
  /** Upper-case SIDs. */
  readonly sids: readonly string[];
  /** The DNs as configured. */
  readonly dns: readonly string[];
  private readonly sidSet: ReadonlySet<string>;
  private readonly dnSet: ReadonlySet<string>;

  constructor(entries: readonly string[]) {
    this.sids = entries.filter((entry) => SID.test(entry)).map((sid) => sid.toUpperCase());
    this.dns = entries.filter((entry) => !SID.test(entry));
    this.sidSet = new Set(this.sids);
    this.dnSet = new Set(this.dns.map(comparableDn));
  }

  static of(config: Pick<DirectoryConfig, 'allowedGroups'>): AllowedGroups {
    return new AllowedGroups(config.allowedGroups ?? []);
  }

  /** Whether a list restricts anyone (false: every directory user may sign in). */
  get restricted(): boolean {
    return this.sids.length + this.dns.length > 0;
  }

  /** Whether this SID or DN is one of the allowed groups. */
  isAllowedGroup(group: Pick<DirectoryGroup, 'id' | 'dn'>): boolean {
    return this.sidSet.has(group.id.toUpperCase()) || this.dnSet.has(comparableDn(group.dn));
  }

  /** Whether a user in these groups (direct, nested and primary) may use Flotilla. */
  allows(groups: readonly Pick<DirectoryGroup, 'id' | 'dn'>[]): boolean {
    return !this.restricted || groups.some((group) => this.isAllowedGroup(group));
  }

  /** The refusal for a user in none of the allowed groups, or undefined. */
  refusalFor(user: {
    groups: readonly Pick<DirectoryGroup, 'id' | 'dn'>[];
  }): NotInAllowedGroupRefusal | undefined {
    return this.allows(user.groups) ? undefined : new NotInAllowedGroupRefusal();
  }
}
