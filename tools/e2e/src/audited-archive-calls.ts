import { asAdmin, AuditedCall, byAdmin } from './audited-call-support';

/** The audited calls on retention and archives (issue 11 item 6), for AUDITED_CALLS. */
export const ARCHIVE_CALLS: readonly AuditedCall[] = [
  {
    route: 'PUT /api/events/retention',
    perform: async (w) => {
      // 400 days: nothing of the run becomes due, whatever the node's clock.
      await asAdmin(w, 'PUT', '/api/events/retention', { days: 400 });
      return [byAdmin(w, 'audit.retention-changed', 'retention')];
    },
  },
];

/** Audited too, but not performable here: see audited-calls.ts UNAUDITED_ROUTES. */
export const ARCHIVE_DELETE_REASON =
  'audited as audit.archive-deleted, but only an archive made 30 days ago can be deleted: ' +
  'libs/audit/trail/src/archive/audit-archiver.contract-spec.ts deletes one (created_at moved back) and checks the event';
