import type { AuthUser } from '../users/auth-user';

/**
 * Checks a username and password against one account source (local accounts now, Active
 * Directory / LDAP later). Answers only "this user" or "no": never why, so callers cannot leak
 * whether a username exists.
 */
export interface CredentialVerifier {
  verify(username: string, password: string): Promise<AuthUser | undefined>;
}

/** Injection token for the CredentialVerifier sign-in uses. */
export const CREDENTIAL_VERIFIER = Symbol('CREDENTIAL_VERIFIER');
