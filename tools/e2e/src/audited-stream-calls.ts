import { asAdmin, AuditedCall, AuditWorld, byAdmin, Identified, unique } from './audited-call-support';

/**
 * The audited calls on streaming destinations (issue 11 item 7), for AUDITED_CALLS. The target is
 * a port nothing listens on: delivery fails and retries there, which changes nothing for the spec.
 */
const newWebhook = (w: AuditWorld) =>
  asAdmin<Identified>(w, 'POST', '/api/audit-streams', {
    name: unique('Audit stream'),
    kind: 'webhook',
    target: 'https://127.0.0.1:9/audit',
    secret: 'audit-completeness-secret',
    enabled: false,
  });

export const STREAM_CALLS: readonly AuditedCall[] = [
  {
    route: 'POST /api/audit-streams',
    perform: async (w) => {
      const stream = await newWebhook(w);
      return [byAdmin(w, 'audit-stream.created', stream.id)];
    },
  },
  {
    route: 'PUT /api/audit-streams/:id',
    perform: async (w) => {
      const stream = await newWebhook(w);
      await asAdmin(w, 'PUT', `/api/audit-streams/${stream.id}`, {
        name: unique('Audit stream renamed'),
        kind: 'webhook',
        target: 'https://127.0.0.1:9/other',
        enabled: false,
      });
      return [byAdmin(w, 'audit-stream.updated', stream.id)];
    },
  },
  {
    route: 'DELETE /api/audit-streams/:id',
    perform: async (w) => {
      const stream = await newWebhook(w);
      await asAdmin(w, 'DELETE', `/api/audit-streams/${stream.id}`);
      return [byAdmin(w, 'audit-stream.deleted', stream.id)];
    },
  },
];
