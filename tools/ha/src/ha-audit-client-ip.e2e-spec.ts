import { randomUUID } from 'node:crypto';

import { ApiClient, eventually, FlotillaCluster, startFlotillaCluster } from '@flotilla/testing';

// One HTTP request from a chosen loopback source address, as the forwarded-for fault spec sends it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { LoopbackResponse, requestFrom } from '../../faults/src/xff-support/loopback-request';

import { stopKeepingOutput } from './ha-cluster-teardown';

/** The trusted proxy (FLOTILLA_TRUSTED_PROXIES) the cluster launcher sets: HAProxy's address. */
const HAPROXY_PEER = '127.0.0.1';
const FORWARDED_FOR_MAX = 1024;
const PASSWORD = 'ha-client-ip-password';
/** What a client writes into X-Forwarded-For to pass for someone else. */
const SPOOFED = '198.51.100.66';

/** An event as GET /api/events lists it: the provenance fields this spec is about. */
interface ListedEvent {
  id: string;
  action: string;
  resourceId: string;
  clientIp: string;
  forwardedFor: string;
  socketPeer: string;
  signInMethod: string;
  apiKeyId: string;
  nodeName: string;
  requestId: string;
  outcome: string;
  projectId: string;
}

const log = (line: string) => process.stdout.write(`[ha-audit-client-ip] ${line}\n`);

/**
 * Who and from where, through real HAProxy in front of a two-node cluster: requests from several
 * loopback source addresses (127.0.0.x, the client socket's own address) are recorded with that
 * address as the client IP and HAProxy as the socket peer; an X-Forwarded-For the client sends is
 * kept as evidence but never taken for the address (only HAProxy's address is trusted, and HAProxy
 * appends the real peer after whatever the client sent, so the rightmost untrusted hop is the
 * client); a request straight to a gateway records its socket peer; garbage or 2 KB headers never
 * fail the action. The request id, sign-in method, API key id, node and outcome travel with each
 * event, and the trail's filters find them.
 */
describe('the audit trail records the client behind HAProxy on a two-node cluster', () => {
  let cluster: FlotillaCluster;
  let admin: ApiClient;
  let nodeNames: string[];

  beforeAll(async () => {
    cluster = await startFlotillaCluster({ nodes: 2 });
    admin = new ApiClient(cluster.baseUrl);
    expect((await admin.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    nodeNames = cluster.nodes.map((node) => node.name);
  }, 300_000);

  afterAll(async () => {
    await stopKeepingOutput(cluster);
  }, 60_000);

  /** A fresh user, signed in from `localAddress` through `baseUrl`; returns its token. */
  async function signedInUser(baseUrl: string, localAddress: string, headers: Record<string, string> = {}) {
    const username = `ha-ip-${randomUUID().slice(0, 8)}`;
    const created = await admin.post<{ id: string }>('/api/users', {
      username,
      displayName: username,
      password: PASSWORD,
      roles: ['Deployer'],
    });
    expect(created.status).toBe(201);
    const signIn = await requestFrom({
      localAddress,
      url: `${baseUrl}/api/users/login`,
      method: 'POST',
      headers,
      json: { username, password: PASSWORD },
    });
    expect(signIn.status).toBe(200);
    return { userId: created.body.id, token: (signIn.body as { token: string }).token };
  }

  /** Creates a project as `token` from `localAddress`, with the given headers; returns the answer and its request id. */
  async function createProject(
    baseUrl: string,
    localAddress: string,
    auth: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ response: LoopbackResponse; requestId: string; projectId: string }> {
    const requestId = `ha-ip-${randomUUID()}`;
    const response = await requestFrom({
      localAddress,
      url: `${baseUrl}/api/projects`,
      method: 'POST',
      headers: { ...auth, ...headers, 'x-request-id': requestId },
      json: { name: `HA IP ${randomUUID().slice(0, 8)}` },
    });
    return { response, requestId, projectId: (response.body as { id?: string } | undefined)?.id ?? '' };
  }

  /** The events the trail lists for `filter`, once there are `count` (the outbox relays within a second or so). */
  async function eventsWhere(filter: Record<string, string>, count = 1): Promise<ListedEvent[]> {
    const query = new URLSearchParams({ ...filter, take: '50' }).toString();
    return eventually(
      async () => {
        const page = await admin.get<{ items: ListedEvent[] }>(`/api/events?${query}`);
        if (page.status !== 200) throw new Error(`GET /api/events?${query} answered ${page.status}`);
        return page.body.items.length >= count ? page.body.items : undefined;
      },
      20_000,
      `${count} audit event(s) where ${query}`,
    );
  }

  it('records each loopback source address as the client and HAProxy as the socket peer, ignoring a spoofed X-Forwarded-For', async () => {
    const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const seen: ListedEvent[] = [];
    for (const source of sources) {
      const user = await signedInUser(cluster.baseUrl, source);
      const { response, requestId, projectId } = await createProject(
        cluster.baseUrl,
        source,
        { authorization: `Bearer ${user.token}` },
        { 'x-forwarded-for': SPOOFED },
      );
      expect(response.status).toBe(201);
      // Found by the request id filter: the gateway's X-Request-Id travelled to the orchestrator's event.
      const [event] = await eventsWhere({ requestId });
      expect(event).toMatchObject({
        action: 'project.created',
        resourceId: projectId,
        clientIp: source,
        socketPeer: HAPROXY_PEER,
        // Kept as evidence: what the client claimed, then the peer HAProxy saw.
        forwardedFor: `${SPOOFED}, ${source}`,
        signInMethod: 'password',
        apiKeyId: '',
        requestId,
        outcome: 'success',
        projectId,
      });
      expect(nodeNames).toContain(event?.nodeName);
      seen.push(event);
    }
    log(`project.created recorded by nodes: ${seen.map((event) => event.nodeName).join(', ')}`);
    // The client IP filter finds each source's events and no other's.
    const byAddress = await eventsWhere({ clientIp: '127.0.0.3', action: 'project.created' });
    expect(byAddress.map((event) => event.clientIp)).toEqual(byAddress.map(() => '127.0.0.3'));
  });

  it('records the socket peer as the client when a request reaches a gateway directly, whatever X-Forwarded-For says', async () => {
    for (const node of cluster.nodes) {
      const user = await signedInUser(node.baseUrl, '127.0.0.6');
      const { response, requestId } = await createProject(
        node.baseUrl,
        '127.0.0.6',
        { authorization: `Bearer ${user.token}` },
        { 'x-forwarded-for': SPOOFED },
      );
      expect(response.status).toBe(201);
      const [event] = await eventsWhere({ requestId });
      expect(event).toMatchObject({
        clientIp: '127.0.0.6',
        socketPeer: '127.0.0.6',
        forwardedFor: SPOOFED,
      });
      // The node whose orchestrator recorded it: gRPC calls are balanced by HAProxy, so not
      // necessarily the node whose gateway took the request.
      expect(nodeNames).toContain(event?.nodeName);
    }
  });

  it.each([
    ['2 KB of text', 'not an address; '.repeat(128)],
    ['non-address text', '<script>alert(1)</script>, ::1%eth0, 999.1.1.1'],
    // Node refuses to send other control characters; a tab and Latin-1 bytes it sends as they are.
    ['a tab and Latin-1 bytes', 'caf\u00e9\tbar, 10.0.0.1'],
  ])(
    'never fails the action for an X-Forwarded-For of %s: stored, cut and escaped',
    async (_name, header) => {
      const user = await signedInUser(cluster.baseUrl, '127.0.0.7');
      const { response, requestId } = await createProject(
        cluster.baseUrl,
        '127.0.0.7',
        { authorization: `Bearer ${user.token}` },
        { 'x-forwarded-for': header },
      );
      expect(response.status).toBe(201);
      const [event] = await eventsWhere({ requestId });
      expect(event?.clientIp).toBe('127.0.0.7');
      expect(event?.socketPeer).toBe(HAPROXY_PEER);
      expect(event?.forwardedFor.length).toBeGreaterThan(0);
      expect(event?.forwardedFor.length).toBeLessThanOrEqual(FORWARDED_FOR_MAX);
      expect(event?.forwardedFor).toMatch(/^[\x20-\x7e]*$/);
      // HAProxy's own hop is at the end, whatever came before it (a cut takes out the middle).
      expect(event?.forwardedFor.endsWith(', 127.0.0.7')).toBe(true);
    },
  );

  it('records a failed sign-in as a failure, and an API key by its id', async () => {
    const username = `nobody-${randomUUID().slice(0, 8)}`;
    const requestId = `ha-ip-${randomUUID()}`;
    const failed = await requestFrom({
      localAddress: '127.0.0.8',
      url: `${cluster.baseUrl}/api/users/login`,
      method: 'POST',
      headers: { 'x-request-id': requestId },
      json: { username, password: 'wrong' },
    });
    expect(failed.status).toBe(401);
    const [failure] = await eventsWhere({ requestId, outcome: 'failure' });
    expect(failure).toMatchObject({
      action: 'user.login-failed',
      resourceId: username,
      clientIp: '127.0.0.8',
      socketPeer: HAPROXY_PEER,
      outcome: 'failure',
    });

    const user = await signedInUser(cluster.baseUrl, '127.0.0.8');
    const key = await requestFrom({
      localAddress: '127.0.0.8',
      url: `${cluster.baseUrl}/api/apikeys`,
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      json: { purpose: 'ha client ip' },
    });
    expect(key.status).toBe(201);
    const { key: record, secret } = key.body as { key: { id: string }; secret: string };
    const { response, requestId: keyedRequest } = await createProject(cluster.baseUrl, '127.0.0.8', {
      'x-octopus-apikey': secret,
    });
    expect(response.status).toBe(201);
    const [event] = await eventsWhere({ requestId: keyedRequest });
    expect(event).toMatchObject({ signInMethod: 'api-key', apiKeyId: record.id, clientIp: '127.0.0.8' });
  });

  /** The client IP a node records for a failed sign-in sent straight to it from `localAddress` with `forwardedFor`. */
  async function recordedClientIp(
    baseUrl: string,
    localAddress: string,
    forwardedFor: string,
  ): Promise<string> {
    const username = `probe-${randomUUID().slice(0, 8)}`;
    const reply = await requestFrom({
      localAddress,
      url: `${baseUrl}/api/users/login`,
      method: 'POST',
      headers: { 'x-forwarded-for': forwardedFor },
      json: { username, password: 'wrong' },
    });
    expect(reply.status).toBe(401);
    const [event] = await eventsWhere({ action: 'user.login-failed', resourceId: username });
    return event?.clientIp ?? '';
  }

  it('takes a trusted proxies change up on both nodes without a restart, audited, and refuses bad entries with a 400', async () => {
    const claimed = '203.0.113.50';
    // The launcher's FLOTILLA_TRUSTED_PROXIES (127.0.0.1): a request from 127.0.0.1 may name the client.
    const initial = await admin.get<{ entries: string[]; source: string }>('/api/settings/trusted-proxies');
    expect(initial).toMatchObject({ status: 200, body: { entries: [HAPROXY_PEER], source: 'environment' } });
    for (const node of cluster.nodes)
      await expect(recordedClientIp(node.baseUrl, HAPROXY_PEER, claimed)).resolves.toBe(claimed);

    const bad = await admin.put<{ message: string }>('/api/settings/trusted-proxies', {
      entries: ['10.0.0.0/33'],
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('the prefix must be 0 to 32');

    // Through node 1's gateway (directly): the other hears it by Redis, or reads it within 5 s.
    const changer = new ApiClient(cluster.nodes[0].baseUrl);
    expect((await changer.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    const changedAt = Date.now();
    const changed = await changer.put('/api/settings/trusted-proxies', {
      entries: ['127.0.0.10', '::ffff:127.0.0.11'],
    });
    expect(changed).toMatchObject({
      status: 200,
      body: { entries: ['127.0.0.10', '127.0.0.11'], source: 'setting', updatedBy: cluster.adminUsername },
    });
    for (const node of cluster.nodes) {
      await eventually(
        async () =>
          (await recordedClientIp(node.baseUrl, HAPROXY_PEER, claimed)) === HAPROXY_PEER ? true : undefined,
        15_000,
        `${node.name} to stop trusting ${HAPROXY_PEER}`,
      );
      log(`${node.name} took the change up within ${Date.now() - changedAt} ms (an audited probe included)`);
      await expect(recordedClientIp(node.baseUrl, '127.0.0.11', claimed)).resolves.toBe(claimed);
    }
    const [audited] = await eventsWhere({ action: 'settings.trusted-proxies-changed' });
    expect(JSON.parse((audited as ListedEvent & { details: string }).details)).toEqual({
      old: [HAPROXY_PEER],
      oldSource: 'environment',
      new: ['127.0.0.10', '127.0.0.11'],
    });

    // Back as the launcher had it, for whatever runs after.
    expect((await admin.put('/api/settings/trusted-proxies', { entries: [HAPROXY_PEER] })).status).toBe(200);
    for (const node of cluster.nodes)
      await eventually(
        async () =>
          (await recordedClientIp(node.baseUrl, HAPROXY_PEER, claimed)) === claimed ? true : undefined,
        15_000,
        `${node.name} to trust ${HAPROXY_PEER} again`,
      );
  });
});
