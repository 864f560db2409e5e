/** GET /api/auth/providers (the gateway's sign-in-providers.ts): no secrets, public. */
export interface SignInProviders {
  directory: { kind: 'ad' | 'ldap'; domain: string | null } | null;
}

/** The line under the sign-in title, or null when only local accounts sign in. */
export function directoryDescription(providers: SignInProviders): string | null {
  const directory = providers.directory;
  if (!directory) return null;
  const what = directory.kind === 'ad' ? 'Active Directory' : 'LDAP directory';
  if (!directory.domain) return `Sign in with your ${what} account.`;
  return directory.kind === 'ad'
    ? `Sign in with your ${what} account in ${directory.domain} (name, ${directory.domain}\\name or name@domain).`
    : `Sign in with your ${what} account in ${directory.domain}.`;
}
