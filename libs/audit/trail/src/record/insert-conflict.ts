import { isUniqueViolation } from '@flotilla/platform/persistence';

/**
 * Deadlock victims: PostgreSQL 40P01, SQL Server (and Babelfish) 1205. Both roll the victim's
 * transaction back, so running it again is safe.
 */
function isDeadlock(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const driverError = (error as { driverError?: unknown }).driverError ?? error;
  const { code, number } = driverError as { code?: unknown; number?: unknown };
  return code === '40P01' || number === 1205;
}

/**
 * True when an idempotent insert lost a race with a concurrent insert of the same ids: a key
 * violation (the other transaction committed an id between our existence check and our insert) or
 * a deadlock (two batches took the same keys in different orders). Retrying the whole batch in a
 * fresh transaction then sees the other's rows and skips them.
 */
// Candidate for @flotilla/platform/persistence beside isUniqueViolation (owned by the lead).
export function isInsertRace(error: unknown): boolean {
  return isUniqueViolation(error) || isDeadlock(error);
}
