import { safeJoin } from '@flotilla/platform/storage';

/** How the archiver runs on this audit service, from the environment (validated at start). */
export interface ArchiveSettings {
  /** How often each audit service tries to take the lease and archive what is due. */
  intervalMs: number;
  /** The lease's time to live; renewed by every write, so it only runs out when its holder stops. */
  leaseMs: number;
  /** `<shared storage>/EventArchives`. */
  directory: string;
  /** TEST ONLY: pause after each archived day (FLOTILLA_AUDIT_ARCHIVE_TEST_PAUSE_MS). */
  pauseAfterDayMs: number;
}

/** The folder of shared storage holding the archives (beside EventExports/, which holds copies). */
export const EVENT_ARCHIVES_FOLDER = 'EventArchives';

/** Days after its creation before an archive may be deleted. */
export const ARCHIVE_MIN_AGE_DAYS = 30;

/** Retention bounds: at least one day, at most 100 years. */
export const RETENTION_LIMITS = { min: 1, max: 36_500 } as const;

function int(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(
      `${name} must be a whole number of milliseconds from ${min} to ${max} (got ${JSON.stringify(raw)})`,
    );
  return value;
}

export function readArchiveSettings(
  sharedStorage: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ArchiveSettings {
  return {
    intervalMs: int(env, 'FLOTILLA_AUDIT_ARCHIVE_INTERVAL_MS', 600_000, 100, 86_400_000),
    leaseMs: int(env, 'FLOTILLA_AUDIT_ARCHIVE_LEASE_MS', 120_000, 500, 3_600_000),
    directory: safeJoin(sharedStorage, EVENT_ARCHIVES_FOLDER),
    pauseAfterDayMs: int(env, 'FLOTILLA_AUDIT_ARCHIVE_TEST_PAUSE_MS', 0, 0, 600_000),
  };
}
