/** True when a driver error is a foreign-key violation (PostgreSQL 23503, SQL Server 547). */
export function isForeignKeyViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const driverError = (error as { driverError?: unknown }).driverError ?? error;
  const { code, number } = driverError as { code?: unknown; number?: unknown };
  return code === '23503' || number === 547;
}
