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
  isActive: boolean;
  /** ISO-8601 */
  createdAt: string;
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
  permissions: Permission[];
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
}

export interface CreateApiKeyRequest {
  purpose: string;
}

/** The secret is shown once, here; send it as `X-Octopus-ApiKey`. */
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}
