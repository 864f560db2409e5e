import { randomUUID } from 'node:crypto';

import type { ExpectedActor, ExpectedEvent } from './audit-trail-probe';
import { call, Reply } from './rest-client';

/**
 * What the calls of the audit-completeness spec share: the node they run on, how one is declared,
 * and small helpers that insist on success (an audited route is judged on a change it made).
 */

export interface Identified {
  id: string;
}

/** What every call needs: the node, its administrator, and a project that deploys quickly or slowly. */
export interface AuditWorld {
  baseUrl: string;
  databaseUrl: string;
  admin: ExpectedActor & { token: string };
  /** Its process is `echo`; its release deploys in a moment. */
  project: Identified;
  release: Identified;
  /** Its deployments sleep for a minute: one queued just now can always be cancelled. */
  slowRelease: Identified;
  environment: Identified;
  /** FLOTILLA_SIGNIN_MAX_FAILURES_PER_USER of the node: the failure that reaches it locks out. */
  failuresToLockOut: number;
}

/** One successful call on a mutating route (or one of its audited failures) and the events it must leave. */
export interface AuditedCall {
  /** The route, as declaredRoutes() names it ("POST /api/projects"). */
  route: string;
  /** Which of the route's audited outcomes, when it has more than one. */
  variant?: string;
  perform(world: AuditWorld): Promise<Omit<ExpectedEvent, 'call'>[]>;
}

let sequence = 0;
/** A name no other call of this run uses. */
export const unique = (prefix: string) => `${prefix}-${(sequence += 1)}-${randomUUID().slice(0, 6)}`;

export async function succeeded<T>(reply: Promise<Reply<T>>, what: string): Promise<T> {
  const { status, body } = await reply;
  if (status < 200 || status > 299) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

export const asAdmin = <T>(w: AuditWorld, method: string, path: string, body?: unknown) =>
  succeeded(call<T>(w.baseUrl, method, path, w.admin.token, body), `${method} ${path}`);

/** An event the administrator's call must have left. */
export const byAdmin = (w: AuditWorld, action: string, resourceId: string) => ({
  action,
  resourceId,
  actor: { id: w.admin.id, name: w.admin.name },
});
