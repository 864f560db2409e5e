import { DIRECTORY_SETTINGS } from '@flotilla/platform/config';

/** GET /api/auth/providers: where sign-in checks passwords besides local accounts. No secrets. */
export interface SignInProviders {
  directory: { kind: 'ad' | 'ldap'; domain: string | null } | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What the sign-in page may say about the configured directory: its kind and the domain people
 * type (the NetBIOS name for `DOMAIN\user`, else the first UPN suffix). Read from the same
 * FLOTILLA_DIRECTORY_* variables auth reads; only these two names, never URLs, DNs or passwords,
 * and validation stays auth's (a wrong setting fails auth's start, not this page).
 */
export function signInProviders(env: Env = process.env): SignInProviders {
  const kind = env[DIRECTORY_SETTINGS.kind]?.trim().toLowerCase();
  if (kind !== 'ad' && kind !== 'ldap') return { directory: null };
  const netbios = env[DIRECTORY_SETTINGS.netbiosDomain]?.trim().toUpperCase();
  const upnSuffix = env[DIRECTORY_SETTINGS.upnSuffixes]
    ?.split(',')
    .map((suffix) => suffix.trim().toLowerCase())
    .find(Boolean);
  return { directory: { kind, domain: netbios || upnSuffix || null } };
}
