import type { TrailVerification } from '@flotilla/api-interfaces';
import { FlotillaNode, startFlotillaNode } from '@flotilla/testing';

import type { AuditedCall, AuditWorld } from './audited-call-support';
import { AUDITED_CALLS, UNAUDITED_ROUTES } from './audited-calls';
import { ExpectedEvent, missingFromTrail } from './audit-trail-probe';
import { declaredRoutes } from './rbac-matrix-routes';
import { call, signIn } from './rest-client';

/**
 * The audit trail is complete (issue 11): every mutating REST route of the gateway, called once
 * successfully on a real node, leaves its event (action, actor, resource id) in the trail read
 * through GET /api/events; so do a failed sign-in, a lockout and a failed password change. The
 * routes come from the gateway's controllers (as the RBAC matrix reads them), so a new mutating
 * route fails the first test until it is given a call in audited-calls.ts or a reason to record
 * nothing. Runs on PostgreSQL only: what is recorded is decided by the services, the same on
 * either database (the trail's SQL is covered by the audit contract specs on both).
 */

const MUTATING = /^(POST|PUT|PATCH|DELETE) /;
/** Low, so the lockout call needs few wrong passwords; the per-address limit stays far above it. */
const FAILURES_TO_LOCK_OUT = 3;

const nameOf = (audited: AuditedCall) =>
  audited.variant ? `${audited.route} (${audited.variant})` : audited.route;

interface Identified {
  id: string;
}

async function created<T>(reply: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const { status, body } = await reply;
  if (status !== 201) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

describe('audit trail completeness: every mutation on a real node is recorded', () => {
  let node: FlotillaNode;
  let world: AuditWorld;
  /** Filled by each call's test, checked together at the end: one wait for the relay, not one per call. */
  const expected = new Map<string, ExpectedEvent[]>();

  beforeAll(async () => {
    node = await startFlotillaNode({
      env: { FLOTILLA_SIGNIN_MAX_FAILURES_PER_USER: String(FAILURES_TO_LOCK_OUT) },
    });
    const token = await signIn(node.baseUrl, node.adminUsername, node.adminPassword);
    const me = await call<{ userId: string; username: string }>(node.baseUrl, 'GET', '/api/users/me', token);
    const post = <T>(path: string, body: unknown) =>
      created(call<T>(node.baseUrl, 'POST', path, token, body), `POST ${path}`);
    const project = async (name: string, script: string) => {
      const made = await post<Identified>('/api/projects', { name });
      const steps = [{ name: 'Run', actionType: 'run-script', properties: { scriptBody: script } }];
      const process = await call(node.baseUrl, 'PUT', `/api/projects/${made.id}/deploymentprocess`, token, {
        steps,
        retryable: false,
      });
      if (process.status !== 200) throw new Error(`process of ${name}: ${process.status}`);
      return made;
    };
    const release = (of: Identified) =>
      post<Identified>(`/api/projects/${of.id}/releases`, { version: '1.0.0', packages: [] });
    const quick = await project('Audit quick', 'echo audited');
    const slow = await project('Audit slow', 'sleep 60');
    world = {
      baseUrl: node.baseUrl,
      databaseUrl: node.databaseUrl,
      admin: { id: me.body.userId, name: me.body.username, token },
      project: quick,
      release: await release(quick),
      slowRelease: await release(slow),
      environment: await post<Identified>('/api/environments', { name: 'Audit staging' }),
      failuresToLockOut: FAILURES_TO_LOCK_OUT,
    };
  }, 240_000);

  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  it('decides every mutating route of the gateway: audited, or listed with why it records nothing', () => {
    const mutating = declaredRoutes()
      .map((route) => route.key)
      .filter((key) => MUTATING.test(key))
      .sort();
    const audited = new Set(AUDITED_CALLS.map((audited) => audited.route));
    const decided = [...audited, ...Object.keys(UNAUDITED_ROUTES)].sort();
    expect(decided).toEqual(mutating);
    // A route is either audited or exempt, never both (an exemption would hide a missing event).
    expect(Object.keys(UNAUDITED_ROUTES).filter((route) => audited.has(route))).toEqual([]);
  });

  it.each(AUDITED_CALLS.map((audited) => [nameOf(audited), audited] as const))(
    '%s succeeds',
    async (name, audited) => {
      const events = await audited.perform(world);
      expected.set(
        name,
        events.map((event) => ({ ...event, call: name })),
      );
    },
    60_000,
  );

  it('finds the event of every call in the trail (GET /api/events), with its action, actor and resource', async () => {
    // A call whose test failed has no expectation: name it, rather than pass without its event.
    expect(AUDITED_CALLS.map(nameOf).filter((name) => !expected.has(name))).toEqual([]);
    const missing = await missingFromTrail(world.baseUrl, world.admin.token, [...expected.values()].flat());
    expect(missing).toEqual([]);
  }, 60_000);

  it('leaves a trail whose chain verifies intact, every event from every service linked', async () => {
    const verification = await call<TrailVerification>(
      world.baseUrl,
      'GET',
      '/api/events/verification',
      world.admin.token,
    );
    expect(verification.status).toBe(200);
    expect(verification.body).toMatchObject({ intact: true });
    expect(verification.body.firstBreak).toBeUndefined();
    expect(verification.body.verifiedEvents).toBe(verification.body.headSequence);
    // At least the events this spec expects (others, such as the administrator's bootstrap, too).
    expect(verification.body.headSequence).toBeGreaterThanOrEqual([...expected.values()].flat().length);
    expect(verification.body.checkpoint).toBeDefined();
  }, 60_000);

  it("has every service's events accepted: the health endpoint's trail section reports nothing refused", async () => {
    const diagnostics = await call<{
      auditTrail?: { state: string; refusedEvents: number; message: string };
    }>(world.baseUrl, 'GET', '/api/health/diagnostics', world.admin.token);
    expect(diagnostics.status).toBe(200);
    expect(diagnostics.body.auditTrail).toMatchObject({ refusedEvents: 0 });
    // Not 'ok' only if checkpoints were late, which on a fresh node they are not.
    expect(diagnostics.body.auditTrail?.message).toBe('Nothing refused; checkpoints on time');
  }, 60_000);
});
