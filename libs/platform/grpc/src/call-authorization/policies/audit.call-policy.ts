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
  Health: {
    callers: [gatewayUser(Permission.EventView), gatewayUser(Permission.AdministerSystem)],
    why: "the health endpoint's audit section, for reviewers and operators",
  },
  Export: { callers: [gatewayUser(Permission.EventView)], why: "a filter's events as a file, for reviewers" },
  ListStreams: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: 'streaming destinations and their delivery, for operators (REST and the health endpoint)',
  },
  CreateStream: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: 'an operator adds a destination',
  },
  UpdateStream: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: 'an operator changes a destination',
  },
  DeleteStream: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: 'an operator removes a destination',
  },
  GetRetention: {
    callers: [gatewayUser(Permission.EventView), gatewayUser(Permission.AdministerSystem)],
    why: 'how long events stay in the database, for reviewers and operators',
  },
  SetRetention: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: 'an operator changes the retention',
  },
  ListArchives: { callers: [gatewayUser(Permission.EventView)], why: 'the archives list, for reviewers' },
  DownloadArchive: {
    callers: [gatewayUser(Permission.EventView)],
    why: "an archive's events or manifest, for reviewers",
  },
  DeleteArchive: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: "an operator deletes an archive's files (30 days after it was made)",
  },
};
