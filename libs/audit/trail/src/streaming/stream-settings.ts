import { EnvReader } from '@flotilla/platform/config';

/** How the audit service delivers the trail to its destinations; every value from the environment. */
export interface AuditStreamSettings {
  /** How long a node's hold on a destination lasts without renewal (database time). */
  leaseMs: number;
  /** How often an idle deliverer looks for new events and for destinations nobody delivers. */
  pollMs: number;
  /** Events per webhook POST / per syslog write. */
  batchSize: number;
  /** First retry delay after a failed delivery, doubled per failure up to `maxBackoffMs`. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** A send that takes longer fails (and is retried); kept under the lease so a hung send cannot outlive it. */
  sendTimeoutMs: number;
}

export const AUDIT_STREAM_SETTINGS = Symbol('AUDIT_STREAM_SETTINGS');

/**
 * FLOTILLA_AUDIT_STREAM_* variables, validated together at start (a ConfigError names every bad
 * one). Production defaults: a 30 s lease (a lost node's destinations move within about 30 s),
 * 1 s polls, batches of 100, retries from 1 s doubling to 60 s, 10 s per send.
 */
export function readAuditStreamSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): AuditStreamSettings {
  const reader = new EnvReader(env);
  const settings: AuditStreamSettings = {
    leaseMs: reader.int('FLOTILLA_AUDIT_STREAM_LEASE_MS', 30_000, { min: 1_000, max: 600_000 }),
    pollMs: reader.int('FLOTILLA_AUDIT_STREAM_POLL_MS', 1_000, { min: 50, max: 60_000 }),
    batchSize: reader.int('FLOTILLA_AUDIT_STREAM_BATCH', 100, { min: 1, max: 1_000 }),
    minBackoffMs: reader.int('FLOTILLA_AUDIT_STREAM_MIN_BACKOFF_MS', 1_000, { min: 10, max: 60_000 }),
    maxBackoffMs: reader.int('FLOTILLA_AUDIT_STREAM_MAX_BACKOFF_MS', 60_000, { min: 10, max: 3_600_000 }),
    sendTimeoutMs: reader.int('FLOTILLA_AUDIT_STREAM_SEND_TIMEOUT_MS', 10_000, { min: 100, max: 300_000 }),
  };
  if (settings.maxBackoffMs < settings.minBackoffMs) {
    reader.problem(
      'FLOTILLA_AUDIT_STREAM_MAX_BACKOFF_MS must not be below FLOTILLA_AUDIT_STREAM_MIN_BACKOFF_MS',
    );
  }
  // The lease is renewed between sends: a send must end well inside it, or another node could
  // take the destination while this one still writes (harmless, fenced, but wasteful).
  if (settings.sendTimeoutMs * 2 > settings.leaseMs) {
    reader.problem(
      `FLOTILLA_AUDIT_STREAM_SEND_TIMEOUT_MS (${settings.sendTimeoutMs}) must be at most half of FLOTILLA_AUDIT_STREAM_LEASE_MS (${settings.leaseMs})`,
    );
  }
  reader.done();
  return settings;
}

/**
 * The delay before retry number `failures` (1 = after the first failure): min·2^(failures-1),
 * capped at max, with up to 20 % taken off at random so nodes retrying together spread out.
 */
export function retryDelayMs(
  failures: number,
  settings: Pick<AuditStreamSettings, 'minBackoffMs' | 'maxBackoffMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const capped = Math.min(settings.maxBackoffMs, settings.minBackoffMs * 2 ** exponent);
  return Math.round(capped * (1 - 0.2 * random()));
}
