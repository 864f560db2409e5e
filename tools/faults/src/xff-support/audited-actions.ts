import { randomUUID } from 'node:crypto';

import { ApiClient, eventually } from '@flotilla/testing';

import { requestFrom } from './loopback-request';

/** An audit event as GET /api/events lists it (forwardedFor: H5's bounded raw header). */
export interface RecordedEvent {
  action: string;
  resourceId: string;
  clientIp: string;
  forwardedFor?: string;
}

export interface AuditedActionsRequest {
  /** HAProxy's frontend or a node's own gateway. */
  baseUrl: string;
  /** The client socket's address. */
  localAddress: string;
  forwardedFor: string;
}

export interface AuditedActionsOutcome {
  /** HTTP status of: the sign-in, the project creation, the sign-in with a wrong password. */
  statuses: { signIn: number; createProject: number; failedSignIn: number };
  /** Their audit events, in the same order (found by the resource each one names). */
  events: () => Promise<RecordedEvent[]>;
}

const PASSWORD = 'xff-user-password';

/**
 * Three audited actions from one source address with one X-Forwarded-For value: a sign-in of a
 * fresh user (made by `admin` beforehand, so its `user.login` event is told apart by user id), a
 * project creation by that user, and a sign-in with a wrong password under a unique name.
 */
export async function performAuditedActions(
  admin: ApiClient,
  request: AuditedActionsRequest,
): Promise<AuditedActionsOutcome> {
  const suffix = randomUUID().slice(0, 8);
  const user = await admin.post<{ id: string }>('/api/users', {
    username: `xff-${suffix}`,
    displayName: `XFF ${suffix}`,
    password: PASSWORD,
    roles: ['Deployer'],
  });
  if (user.status !== 201) throw new Error(`creating the user answered ${user.status}`);
  const send = (path: string, json: unknown, token?: string) =>
    requestFrom({
      localAddress: request.localAddress,
      url: `${request.baseUrl}${path}`,
      method: 'POST',
      headers: {
        'x-forwarded-for': request.forwardedFor,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      json,
    });

  const signIn = await send('/api/users/login', { username: `xff-${suffix}`, password: PASSWORD });
  const token = (signIn.body as { token?: string } | undefined)?.token;
  const project = await send('/api/projects', { name: `XFF ${suffix}` }, token);
  const projectId = (project.body as { id?: string } | undefined)?.id ?? '(no project)';
  const failedUsername = `nobody-${suffix}`;
  const failedSignIn = await send('/api/users/login', { username: failedUsername, password: 'wrong' });

  const wanted = [
    { action: 'user.login', resourceId: user.body.id },
    { action: 'project.created', resourceId: projectId },
    { action: 'user.login-failed', resourceId: failedUsername },
  ];
  return {
    statuses: { signIn: signIn.status, createProject: project.status, failedSignIn: failedSignIn.status },
    // The audit outbox relays events about once a second: wait until all three are listed.
    events: () =>
      eventually(
        async () => {
          const found = await Promise.all(wanted.map((event) => findEvent(admin, event)));
          return found.every((event) => event !== undefined) ? found : undefined;
        },
        15_000,
        `audit events ${wanted.map((event) => event.action).join(', ')}`,
      ),
  };
}

async function findEvent(
  admin: ApiClient,
  wanted: { action: string; resourceId: string },
): Promise<RecordedEvent | undefined> {
  const query = new URLSearchParams({ ...wanted, take: '10' });
  const page = await admin.get<{ items: RecordedEvent[] }>(`/api/events?${query.toString()}`);
  if (page.status !== 200) throw new Error(`GET /api/events answered ${page.status}`);
  const matches = page.body.items;
  if (matches.length > 1)
    throw new Error(`${matches.length} ${wanted.action} events for ${wanted.resourceId}`);
  return matches[0];
}
