/** The longest attempted name a counter key is made from; longer input is cut (it names no account). */
const NAME_MAX = 256;

/**
 * The account name a sign-in name means, for counting failures: trimmed, Unicode-normalised
 * (NFKC, so look-alike compositions are one name), lower case, and `DOMAIN\user` and the UPN
 * `user@realm` reduced to `user`. Every form of one directory account so shares one counter,
 * whichever form an attacker types.
 */
export function signInAccountName(username: string): string {
  let name = username.slice(0, NAME_MAX).trim().normalize('NFKC').toLowerCase();
  const backslash = name.lastIndexOf('\\');
  if (backslash >= 0) name = name.slice(backslash + 1);
  const at = name.lastIndexOf('@');
  if (at > 0) name = name.slice(0, at);
  return name.trim();
}
