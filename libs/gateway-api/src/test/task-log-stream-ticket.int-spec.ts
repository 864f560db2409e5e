import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { STREAM_TICKETS_FOLDER } from '../lib/security/stream-tickets/shared-folder-ticket-store';
import {
  ADMIN_TOKEN,
  OTHER_ENVIRONMENT_TASK,
  SCOPED_TASK_VIEWER_TOKEN,
  VIEWER_TOKEN,
} from './backend-doubles';
import { GatewayHarness, startGatewayHarness } from './gateway-harness';
import { call } from './http-client';

/**
 * The live log's stream tickets across two real gateways that share one shared-storage folder, as
 * the nodes of a cluster do: HAProxy may send the POST to one node and the stream's GET to another.
 */
describe('task log stream tickets', () => {
  let sharedStorage: string;
  let nodeA: GatewayHarness;
  let nodeB: GatewayHarness;

  beforeAll(async () => {
    sharedStorage = await mkdtemp(join(tmpdir(), 'flotilla-stream-tickets-'));
    const env = { FLOTILLA_SHARED_STORAGE: sharedStorage };
    nodeA = await startGatewayHarness({ maxPackageBytes: 1024, env });
    nodeB = await startGatewayHarness({ maxPackageBytes: 1024, env });
  });

  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await rm(sharedStorage, { recursive: true, force: true });
  });

  async function mint(node: GatewayHarness, taskId: string, token = ADMIN_TOKEN): Promise<string> {
    const response = await call(node.baseUrl, 'POST', `/api/tasks/${taskId}/log/stream-tickets`, { token });
    expect(response.status).toBe(201);
    const body = response.body as { ticket: string; expiresAt: string };
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    return body.ticket;
  }

  const openStream = (node: GatewayHarness, taskId: string, ticket: string, headers: HeadersInit = {}) =>
    fetch(`${node.baseUrl}/api/tasks/${taskId}/log/stream?ticket=${encodeURIComponent(ticket)}`, { headers });

  it('opens the stream once, on another node than the one that minted it', async () => {
    const ticket = await mint(nodeA, 't1');
    const first = await openStream(nodeB, 't1', ticket);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('event: complete');

    for (const node of [nodeA, nodeB]) {
      const again = await openStream(node, 't1', ticket);
      expect(again.status).toBe(401);
      expect(((await again.json()) as { message: string }).message).toMatch(/stream ticket/);
    }
  });

  it('keeps only a hash of the ticket in shared storage, and nothing once used', async () => {
    const ticket = await mint(nodeA, 't1');
    const files = await readdir(join(sharedStorage, STREAM_TICKETS_FOLDER));
    expect(files.some((name) => name.includes(ticket))).toBe(false);
    expect((await openStream(nodeA, 't1', ticket)).status).toBe(200);
    const left = await readdir(join(sharedStorage, STREAM_TICKETS_FOLDER));
    expect(left.filter((name) => !files.includes(name))).toEqual([]);
  });

  it("keeps a scoped user's grants: the stream opens as them, restricted, and out of scope nothing is minted", async () => {
    const ticket = await mint(nodeA, 't1', SCOPED_TASK_VIEWER_TOKEN);
    const opened = await openStream(nodeB, 't1', ticket);
    expect(opened.status).toBe(200);
    await opened.text();
    // The orchestrator was asked for the task as the ticket's user, grants and all (not unrestricted).
    expect(nodeB.backends.log.orchestratorCallers.at(-1)).toMatchObject({
      userId: 'u-scoped',
      grants: [{ permissions: ['TaskView'], projectIds: ['p1'], environmentIds: ['e1'] }],
    });
    const refused = await call(
      nodeA.baseUrl,
      'POST',
      `/api/tasks/${OTHER_ENVIRONMENT_TASK}/log/stream-tickets`,
      {
        token: SCOPED_TASK_VIEWER_TOKEN,
      },
    );
    expect(refused.status).toBe(404);
    const log = await call(nodeA.baseUrl, 'GET', `/api/tasks/${OTHER_ENVIRONMENT_TASK}/log`, {
      token: SCOPED_TASK_VIEWER_TOKEN,
    });
    expect(log.status).toBe(404);
  });

  it('is refused for another task, and spent by the attempt', async () => {
    const ticket = await mint(nodeA, 't1');
    expect((await openStream(nodeB, 'endless', ticket)).status).toBe(401);
    expect((await openStream(nodeB, 't1', ticket)).status).toBe(401);
  });

  it("is refused beside another user's credentials", async () => {
    const ticket = await mint(nodeA, 't1');
    const response = await openStream(nodeB, 't1', ticket, { Authorization: `Bearer ${VIEWER_TOKEN}` });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toMatch(/another user/);
    // Beside its owner's own credentials it works (an API client may send both).
    const own = await mint(nodeA, 't1');
    const withOwner = await openStream(nodeB, 't1', own, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(withOwner.status).toBe(200);
    await withOwner.text();
  });

  it('is minted only for a caller who may view tasks', async () => {
    const response = await call(nodeA.baseUrl, 'POST', '/api/tasks/t1/log/stream-tickets', {
      token: VIEWER_TOKEN,
    });
    expect(response.status).toBe(403);
    expect((await call(nodeA.baseUrl, 'POST', '/api/tasks/t1/log/stream-tickets')).status).toBe(401);
  });

  it('refuses made-up and malformed tickets, and the session token in their place', async () => {
    for (const ticket of ['A'.repeat(43), 'not-a-ticket', ADMIN_TOKEN, '../../etc/passwd']) {
      expect((await openStream(nodeA, 't1', ticket)).status).toBe(401);
    }
  });

  it('refuses the session token in the query string', async () => {
    for (const query of [`access_token=${ADMIN_TOKEN}`, `token=${ADMIN_TOKEN}`]) {
      const response = await fetch(`${nodeA.baseUrl}/api/tasks/t1/log/stream?${query}`);
      expect(response.status).toBe(401);
    }
  });

  it('still opens with the Authorization header (API clients)', async () => {
    const response = await fetch(`${nodeA.baseUrl}/api/tasks/t1/log/stream`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('event: complete');
  });
});
