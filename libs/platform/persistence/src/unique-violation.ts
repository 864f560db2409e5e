/** True when a driver error is a unique-constraint violation (PostgreSQL 23505, SQL Server 2627/2601). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const driverError = (error as { driverError?: unknown }).driverError ?? error;
  const { code, number } = driverError as { code?: unknown; number?: unknown };
  return code === '23505' || number === 2627 || number === 2601;
}
