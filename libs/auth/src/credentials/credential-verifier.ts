import type { RequestOrigin } from '../audit-actors';
import type { AuthUser } from '../users/auth-user';

/**
 * Checks a username and password against an account source (local accounts, Active Directory /
 * LDAP). Answers "this user" or "no" (undefined), never why a name or password was wrong, so
 * callers cannot leak whether a username exists. A directory may throw instead for a right
 * password on an account the person must act on (PERMISSION_DENIED "DirectoryAccountDisabled: ..."
 * and its siblings, see directory-refusal.ts), or UNAVAILABLE when no domain controller answered.
 */
export interface CredentialVerifier {
  /** `origin`, when given, goes into the audit record of a refusal the verifier itself makes. */
  verify(username: string, password: string, origin?: RequestOrigin): Promise<AuthUser | undefined>;
}

/** Injection token for the CredentialVerifier sign-in uses. */
export const CREDENTIAL_VERIFIER = Symbol('CREDENTIAL_VERIFIER');
