import type { auditV1 } from '@flotilla/contracts';

import { emptyQueryRequest } from './audit-query';

/** A Query request with no filter and the default page size, with what a spec sets over it. */
export function queryRequest(
  overrides: Partial<auditV1.QueryEventsRequest> = {},
): auditV1.QueryEventsRequest {
  return { ...emptyQueryRequest(), ...overrides };
}
