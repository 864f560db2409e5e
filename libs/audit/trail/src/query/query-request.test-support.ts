import type { auditV1 } from '@flotilla/contracts';

/** A Query request with no filter and the default page size, with what a spec sets over it. */
export function queryRequest(
  overrides: Partial<auditV1.QueryEventsRequest> = {},
): auditV1.QueryEventsRequest {
  return {
    actor: '',
    action: '',
    resourceType: '',
    resourceId: '',
    from: '',
    to: '',
    take: 0,
    after: '',
    clientIp: '',
    text: '',
    outcome: '',
    requestId: '',
    projectId: '',
    environmentId: '',
    ...overrides,
  };
}
