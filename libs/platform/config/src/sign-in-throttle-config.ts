import type { EnvReader } from './env-reader';

/**
 * Cluster-wide sign-in throttling (libs/auth/src/throttle): failed sign-ins counted per account
 * (or unknown user name) and per client address within a window that starts at the first failure.
 */
export interface SignInThrottleConfig {
  /** Failed sign-ins one account (or one unknown name) may have per window; the next is refused. */
  maxFailuresPerUser: number;
  /** Failed sign-ins one client address may have per window, over all names it tries. */
  maxFailuresPerIp: number;
  /** How long a window lasts from its first failure, and so the longest a lockout lasts. */
  windowSeconds: number;
}

/** FLOTILLA_SIGNIN_*: 5 failures per account and 50 per address in 15 minutes unless set. */
export function readSignInThrottle(reader: EnvReader): SignInThrottleConfig {
  return {
    maxFailuresPerUser: reader.int('FLOTILLA_SIGNIN_MAX_FAILURES_PER_USER', 5, { min: 1, max: 1000 }),
    maxFailuresPerIp: reader.int('FLOTILLA_SIGNIN_MAX_FAILURES_PER_IP', 50, { min: 1, max: 1_000_000 }),
    // At most a day: SQL Server's DATEADD takes an int of milliseconds (24.8 days at most).
    windowSeconds: reader.int('FLOTILLA_SIGNIN_WINDOW_SECONDS', 900, { min: 1, max: 86_400 }),
  };
}
