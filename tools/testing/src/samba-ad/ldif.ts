/**
 * LDIF (RFC 2849) and DN (RFC 4514) text for the seed, built here so no value is ever pasted raw.
 * Every entry says its changetype: the whole file goes through one ldbmodify.
 */

export type LdifValue = string | number | Buffer;

export interface LdifEntry {
  dn: string;
  changetype?: 'add' | 'modify';
  /** For `add`: the entry's attributes. */
  attributes?: Record<string, LdifValue | readonly LdifValue[]>;
  /** For `modify`: replace these attributes. */
  replace?: Record<string, LdifValue | readonly LdifValue[]>;
}

/**
 * RFC 4514: escape one RDN value (`,` `+` `"` `\` `<` `>` `;`, a leading space, a trailing space),
 * and `#` wherever it stands: RFC 4514 requires that only in front, but Samba writes every `#`
 * escaped and the seed hands out DNs spelled exactly as the DC returns them.
 */
export function escapeDnValue(value: string): string {
  let escaped = value.replace(/[,+"\\<>;#]/g, (char) => `\\${char}`);
  if (escaped.startsWith(' ')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ') && !escaped.endsWith('\\ ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** A value may be written plainly only when it is printable ASCII without a leading `:` `<` or space. */
function safe(value: string): boolean {
  return /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ');
}

function line(name: string, value: LdifValue): string {
  if (Buffer.isBuffer(value)) return `${name}:: ${value.toString('base64')}`;
  const text = String(value);
  return safe(text) ? `${name}: ${text}` : `${name}:: ${Buffer.from(text, 'utf8').toString('base64')}`;
}

function lines(attributes: Record<string, LdifValue | readonly LdifValue[]>): string[] {
  return Object.entries(attributes).flatMap(([name, value]) =>
    (Array.isArray(value) ? (value as readonly LdifValue[]) : [value as LdifValue]).map((one) =>
      line(name, one),
    ),
  );
}

export function toLdif(entries: readonly LdifEntry[]): string {
  return entries
    .map((entry) => {
      const out = [line('dn', entry.dn)];
      if (entry.changetype === 'modify') {
        out.push('changetype: modify');
        for (const [name, value] of Object.entries(entry.replace ?? {})) {
          out.push(`replace: ${name}`, ...lines({ [name]: value }), '-');
        }
      } else {
        out.push('changetype: add', ...lines(entry.attributes ?? {}));
      }
      return `${out.join('\n')}\n`;
    })
    .join('\n');
}

/** AD's unicodePwd: the password in double quotes, UTF-16LE. */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

/** A Windows FILETIME (100 ns intervals since 1601-01-01 UTC), as AD stores times. */
export function fileTime(date: Date): string {
  return (BigInt(date.getTime()) * 10_000n + 116_444_736_000_000_000n).toString();
}
