import { Permission } from '@flotilla/api-interfaces';

import { gatewayUser, onTheirOwn, PRODUCT_SERVICES, ServiceCallPolicies } from '../call-policy';

/**
 * AuditService: events arrive from every service's outbox relay (their own certificates, never a
 * user's token nor a tool's certificate); the trail is read by users holding EventView.
 */
export const AUDIT_CALL_POLICIES: ServiceCallPolicies = {
  Record: { callers: [onTheirOwn(...PRODUCT_SERVICES)], why: "each service's audit outbox relay" },
  Query: { callers: [gatewayUser(Permission.EventView)], why: 'the audit trail page and API' },
  Verify: { callers: [gatewayUser(Permission.EventView)], why: "the trail's verification, for reviewers" },
};
