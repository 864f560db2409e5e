import {
  ApiClient,
  eventually,
  FlotillaCluster,
  startFlotillaCluster,
  trustingFetch,
} from '@flotilla/testing';

const WINDOW_SECONDS = 20;
const USERNAME = 'lockout.target';
const PASSWORD = 'the right password, at last';

interface SignInAnswer {
  status: number;
  retryAfter: number | undefined;
}

/** One sign-in straight to a node's own gateway (no HAProxy: its own rate limit stays out of it). */
async function signIn(baseUrl: string, username: string, password: string): Promise<SignInAnswer> {
  const response = await trustingFetch(`${baseUrl}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  await response.arrayBuffer();
  const retryAfter = response.headers.get('retry-after');
  return { status: response.status, retryAfter: retryAfter === null ? undefined : Number(retryAfter) };
}

/**
 * A real 2-node cluster with Redis: 20 parallel wrong passwords spread over both nodes lock the
 * account on every node (issue 10: "locked out cluster-wide"), with a window short enough to
 * see it open again.
 */
describe('sign-in lockout across the cluster', () => {
  let cluster: FlotillaCluster;
  let admin: ApiClient;
  let userId: string;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({
      nodes: 2,
      env: {
        FLOTILLA_SIGNIN_MAX_FAILURES_PER_USER: '5',
        FLOTILLA_SIGNIN_MAX_FAILURES_PER_IP: '50',
        FLOTILLA_SIGNIN_WINDOW_SECONDS: String(WINDOW_SECONDS),
      },
    });
    admin = new ApiClient(cluster.baseUrl);
    expect((await admin.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    const created = await admin.post<{ id: string }>('/api/users', {
      username: USERNAME,
      displayName: 'Lockout target',
      password: PASSWORD,
      roles: ['Deployer'],
    });
    expect(created.status).toBe(201);
    userId = created.body.id;
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('20 parallel wrong passwords over both nodes lock the account on both; audited once; open again after the window', async () => {
    const [a, b] = cluster.nodes.map((node) => node.baseUrl);
    if (!a || !b) throw new Error('expected two nodes');
    const wrong = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        signIn(i % 2 ? a : b, i % 3 ? USERNAME : USERNAME.toUpperCase(), `wrong password ${i}`),
      ),
    );
    // Counted before the password check, cluster-wide: exactly 5 were checked, on either node.
    expect(wrong.filter((answer) => answer.status === 401)).toHaveLength(5);
    expect(wrong.filter((answer) => answer.status === 429)).toHaveLength(15);

    let openAt = 0;
    for (const node of [a, b]) {
      const refused = await signIn(node, USERNAME, PASSWORD);
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBeGreaterThan(0);
      expect(refused.retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
      // Retry-After is the window's remaining time rounded up: waiting that long is enough.
      openAt = Date.now() + (refused.retryAfter ?? WINDOW_SECONDS) * 1000 + 300;
    }

    const lockouts = await eventually(
      async () => {
        const page = await admin.get<{
          items: { resourceType: string; resourceId: string; details: string }[];
        }>('/api/events?action=user.login-locked-out');
        return page.body.items.length > 0 ? page.body.items : undefined;
      },
      30_000,
      'the lockout in the audit trail',
    );
    expect(lockouts.map((event) => ({ ...event, details: JSON.parse(event.details) as unknown }))).toEqual([
      expect.objectContaining({
        resourceType: 'User',
        resourceId: userId,
        details: {
          scope: 'account',
          username: expect.stringMatching(/^lockout\.target$/i) as unknown,
          failures: 5,
          windowSeconds: WINDOW_SECONDS,
        },
      }),
    ]);

    // As told by Retry-After (the window runs from the first failure), the right password opens a
    // session on both nodes.
    const waitMs = openAt - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    for (const node of [a, b]) expect(await signIn(node, USERNAME, PASSWORD)).toMatchObject({ status: 200 });
    // And the lockout stayed one event: refused attempts are not audited one by one.
    const after = await admin.get<{ items: unknown[] }>('/api/events?action=user.login-locked-out');
    expect(after.body.items).toHaveLength(1);
  }, 120_000);
});
