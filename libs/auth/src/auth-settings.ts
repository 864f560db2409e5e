import type { FlotillaConfig } from '@flotilla/platform/config';

import { adminPasswordWasGenerated } from './admin-password-environment';

/** The part of the configuration the auth service uses. */
export interface AuthSettings {
  sessionHours: number;
  adminUsername: string;
  /** Undefined: generate one and print it once when the administrator is first created. */
  adminPassword: string | undefined;
  /**
   * FLOTILLA_ADMIN_PASSWORD_GENERATED=true: the tooling (`npm start`) generated adminPassword and
   * printed it, so the administrator made with it must change it at first sign-in. A password the
   * operator configured is their choice and is not forced to change.
   */
  adminPasswordGenerated: boolean;
}

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

/**
 * FLOTILLA_ADMIN_PASSWORD_GENERATED is read here rather than in the shared configuration: only the
 * tooling sets it, and only auth reads it.
 */
export function authSettingsFrom(config: FlotillaConfig, env: NodeJS.ProcessEnv = process.env): AuthSettings {
  return {
    sessionHours: config.sessionHours,
    adminUsername: config.adminUsername,
    adminPassword: config.adminPassword,
    adminPasswordGenerated: config.adminPassword !== undefined && adminPasswordWasGenerated(env),
  };
}
