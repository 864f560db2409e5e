import type { AuditEvent, EventPage } from '@flotilla/api-interfaces';

import { call } from './rest-client';

/** Who an event must name as its actor (the recorder writes "anonymous" for both when unknown). */
export interface ExpectedActor {
  id: string;
  name: string;
}

export const ANONYMOUS: ExpectedActor = { id: 'anonymous', name: 'anonymous' };

/** One event a call must leave in the trail, and the call that should have left it. */
export interface ExpectedEvent {
  call: string;
  action: string;
  resourceId: string;
  actor: ExpectedActor;
}

function describe(expected: ExpectedEvent): string {
  return `${expected.call}: ${expected.action} on ${expected.resourceId} by ${expected.actor.name}`;
}

/** Whether the trail (GET /api/events, filtered by action and resource) holds the event now. */
async function isRecorded(baseUrl: string, token: string, expected: ExpectedEvent): Promise<boolean> {
  const query = new URLSearchParams({
    action: expected.action,
    resourceId: expected.resourceId,
    take: '100',
  });
  const reply = await call<EventPage>(baseUrl, 'GET', `/api/events?${query.toString()}`, token);
  if (reply.status !== 200) throw new Error(`GET /api/events: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.items.some(
    (event: AuditEvent) => event.actorId === expected.actor.id && event.actorName === expected.actor.name,
  );
}

/**
 * The expected events the trail still lacks once `deadlineMs` has passed (none: all arrived). The
 * outbox relay copies events to the trail asynchronously (about once a second, later on a loaded
 * machine), so each round asks again only for the missing ones; the deadline is generous because
 * waiting costs nothing once everything is in.
 */
export async function missingFromTrail(
  baseUrl: string,
  token: string,
  expected: readonly ExpectedEvent[],
  deadlineMs = 30_000,
): Promise<string[]> {
  const giveUpAt = Date.now() + deadlineMs;
  let missing = [...expected];
  for (;;) {
    const found = await Promise.all(missing.map((event) => isRecorded(baseUrl, token, event)));
    missing = missing.filter((_, index) => !found[index]);
    if (missing.length === 0 || Date.now() > giveUpAt) return missing.map(describe);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
