/**
 * The forms a person may type at sign-in, reduced to what the directory is searched by. AD
 * compares these attributes case-insensitively, so every letter case finds the same entry; the
 * entry (keyed on objectGUID) is the user, never the typed text.
 */
export type SignInName =
  /** `alice` or `FLOTILLA\alice`: sAMAccountName (AD) / uid (generic LDAP). */
  | { form: 'account'; account: string }
  /** `alice@flotilla.test`: userPrincipalName (AD) / uid or mail (generic LDAP). */
  | { form: 'principal'; principal: string };

export interface SignInNameRules {
  /**
   * Upper case; `DOMAIN\user` with another domain is nobody. Undefined (generic LDAP, where AD's
   * down-level form does not exist and a uid may hold a backslash): the backslash is part of the name.
   */
  netbiosDomain?: string;
  /** Lower case; empty: any suffix (the directory decides). */
  upnSuffixes: readonly string[];
}

/** Longer than any AD attribute it is compared with (UPN: 1024); bounds what a request can send. */
const MAX_NAME_LENGTH = 1024;
/** Control characters never appear in a directory name; NUL would cut a C string short. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * The name's form, or undefined when it can be nobody's (then sign-in answers the generic
 * message, as for a wrong password). Not a place for escaping: the value goes into a filter
 * object that ldapts encodes as a BER value, never parsed as filter text.
 */
export function parseSignInName(typed: string, rules: SignInNameRules): SignInName | undefined {
  const name = typed.trim();
  if (!name || name.length > MAX_NAME_LENGTH || CONTROL_CHARACTERS.test(name)) return undefined;
  const backslash = name.indexOf('\\');
  if (backslash >= 0 && rules.netbiosDomain) {
    const domain = name.slice(0, backslash);
    const account = name.slice(backslash + 1);
    // A down-level logon name has exactly one backslash; sAMAccountName cannot hold one.
    if (!account || account.includes('\\') || account.includes('@')) return undefined;
    if (domain.toUpperCase() !== rules.netbiosDomain) return undefined;
    return { form: 'account', account };
  }
  const at = name.lastIndexOf('@');
  if (at >= 0) {
    // sAMAccountName cannot hold '@', so this is a UPN (or, in generic LDAP, a uid or mail).
    const suffix = name.slice(at + 1).toLowerCase();
    if (at === 0 || !suffix) return undefined;
    if (rules.upnSuffixes.length > 0 && !rules.upnSuffixes.includes(suffix)) return undefined;
    return { form: 'principal', principal: name };
  }
  return { form: 'account', account: name };
}
