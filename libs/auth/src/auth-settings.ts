import type { FlotillaConfig } from '@flotilla/platform/config';

/** The part of the configuration the auth service uses. */
export interface AuthSettings {
  sessionHours: number;
  adminUsername: string;
  /** Undefined: generate one and print it once when the administrator is first created. */
  adminPassword: string | undefined;
}

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

export function authSettingsFrom(config: FlotillaConfig): AuthSettings {
  return {
    sessionHours: config.sessionHours,
    adminUsername: config.adminUsername,
    adminPassword: config.adminPassword,
  };
}
