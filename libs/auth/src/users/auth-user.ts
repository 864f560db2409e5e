import type { authV1 } from '@flotilla/contracts';

import type { UserEntity, UserSource } from '../persistence/user.entity';

/** A user as the services see it: roles parsed, no password hash. */
export interface AuthUser {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  isActive: boolean;
  createdAt: Date;
  /** Sign-in is refused until the password is changed (see PasswordChangeService). */
  mustChangePassword: boolean;
  /** Where the password is checked; absent in hand-made users (specs), which are local. */
  source?: UserSource;
}

/** Roles are stored as a JSON array; anything else is read as "no roles" (grants nothing). */
export function parseRoles(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((role): role is string => typeof role === 'string') : [];
  } catch {
    return [];
  }
}

export function toAuthUser(entity: UserEntity): AuthUser {
  return {
    id: entity.id,
    username: entity.username,
    displayName: entity.displayName,
    roles: parseRoles(entity.roles),
    isActive: entity.isActive,
    createdAt: entity.createdAt,
    mustChangePassword: entity.mustChangePassword,
    source: entity.source,
  };
}

export function toUserReply(user: AuthUser): authV1.User {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    roles: user.roles,
    isActive: user.isActive,
    createdAt: user.createdAt.toISOString(),
    mustChangePassword: user.mustChangePassword,
    source: user.source ?? 'local',
  };
}
