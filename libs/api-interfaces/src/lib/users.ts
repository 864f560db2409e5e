import type { PermissionGrant } from './permission-grants';
import type { Permission } from './permissions';

export interface LoginRequest {
  username: string;
  password: string;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  /** False once an administrator disabled the account: it cannot sign in, its keys stop working. */
  isActive: boolean;
  /** ISO-8601 */
  createdAt: string;
  /** Sign-in is refused until the user changes the password (after a reset by an administrator). */
  mustChangePassword?: boolean;
  /** Where the password is checked, e.g. "local". */
  source?: string;
}

export interface LoginResponse {
  /** Send as `Authorization: Bearer <token>`. */
  token: string;
  /** ISO-8601 */
  expiresAt: string;
  user: User;
}

/** GET /api/users/me: who the caller is and what they may do. */
export interface CurrentUser {
  userId: string;
  username: string;
  displayName: string;
  /** Every permission held somewhere (everywhere, or on some project / environment). */
  permissions: Permission[];
  /**
   * Present when a team restricts some of them to projects and/or environments: every grant, so a
   * client can tell where each permission holds (permits() in permission-grants.ts). Absent: all of
   * `permissions` hold everywhere.
   */
  grants?: PermissionGrant[];
}

export interface CreateUserRequest {
  username: string;
  displayName: string;
  password: string;
  /** Role names, see ROLE_DEFINITIONS. */
  roles: string[];
}

export interface ApiKey {
  id: string;
  purpose: string;
  /** ISO-8601 */
  createdAt: string;
  userId: string;
  /** ISO-8601; empty when the key never expires. */
  expiresAt?: string;
  /** Past its expiry: refused like a revoked key. */
  expired?: boolean;
}

export interface CreateApiKeyRequest {
  purpose: string;
  /** ISO-8601 instant after which the key is refused; omit for a key that never expires. */
  expiresAt?: string;
}

/** POST /api/users/{id}/password/reset */
export interface ResetUserPasswordRequest {
  /** Told to the user out of band; they must replace it at their next sign-in. */
  newPassword: string;
}

/** POST /api/users/{id}/sessions/revoke */
export interface RevokedSessions {
  /** How many sessions were ended. */
  count: number;
}

/** The secret is shown once, here; send it as `X-Octopus-ApiKey`. */
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}
