import { createServer, Server, Socket } from 'node:net';

import {
  ApiClient,
  FlotillaNode,
  SambaAd,
  sambaDirectoryEnvironment,
  startFlotillaNode,
  startSambaAd,
} from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import {
  expectNoCspProblemsInEachTest,
  launchChromium,
  newWatchedPage,
  signInThroughPage,
  stopAll,
} from './portal-browser.test-support';
import { adminApi, createLocalUsers } from './portal-fixtures.test-support';

const DEPLOYER = {
  username: 'dora-deployer',
  password: 'dora-deployer-password',
  displayName: 'Dora Deployer',
};
/** Each controller's connect + bind deadline: the blackholed one costs this once per diagnosis. */
const TIMEOUT_MS = 1500;

/**
 * The Directory page in real Chromium against a real node (portal built, strict CSP) whose auth
 * uses a real Samba AD DC behind a first "controller" address that accepts TCP and never answers:
 * an administrator sees the sync's state and tests a user's sign-in path by name (no password),
 * with the entry, groups by membership, the controller that answered and the dead one's failure.
 */
describe('Directory page (browser)', () => {
  let ad: SambaAd;
  let node: FlotillaNode;
  let browser: Browser;
  let blackhole: Server;
  let blackholeUrl: string;
  const heldSockets: Socket[] = [];
  const problems: string[] = [];

  /** A fresh browser session signed in as this user; Samba beside the node wants 30 s timeouts. */
  async function signedIn(username: string, password: string): Promise<Page> {
    const page = await newWatchedPage(browser, problems, { defaultTimeoutMs: 30_000 });
    await signInThroughPage(page, node.baseUrl, username, password);
    return page;
  }

  async function diagnose(page: Page, name: string): Promise<void> {
    await page.getByTestId('diagnostics-name').fill(name);
    await page.getByTestId('diagnostics-run').click();
    await page.getByTestId('diagnostics-result').waitFor();
  }

  const text = async (page: Page, testId: string) =>
    ((await page.getByTestId(testId).textContent()) ?? '').trim();

  /** The names of the listed groups with this membership, sorted. */
  async function groupNames(page: Page, membership: string): Promise<string[]> {
    const rows = page.locator(`[data-testid="diagnostics-group"][data-membership="${membership}"]`);
    return (
      await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-name') ?? ''))
    ).sort();
  }

  beforeAll(async () => {
    blackhole = createServer((socket) => heldSockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const address = blackhole.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    blackholeUrl = `ldaps://127.0.0.1:${address.port}`;
    ad = await startSambaAd({ seed: 'basic' });
    node = await startFlotillaNode({
      portal: true,
      // The portal is rebuilt first when its sources changed: on a loaded 2-core machine, minutes.
      startTimeoutMs: 480_000,
      env: sambaDirectoryEnvironment(ad, {
        FLOTILLA_DIRECTORY_URLS: `${blackholeUrl},${ad.ldapsUrl}`,
        FLOTILLA_DIRECTORY_TIMEOUT_MS: String(TIMEOUT_MS),
        FLOTILLA_DIRECTORY_GROUP_BASE_DN: ad.groupsBaseDn,
      }),
    });
    await createLocalUsers(await adminApi(node), [[DEPLOYER, ['Deployer']]]);
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await stopAll(browser, node, ad);
    for (const socket of heldSockets) socket.destroy();
    await new Promise((resolve) => blackhole?.close(resolve));
  });

  expectNoCspProblemsInEachTest(problems);

  it('answers POST /api/directory/diagnostics to AdministerSystem only, and never takes a password', async () => {
    const admin = new ApiClient(node.baseUrl);
    await admin.login(node.adminUsername, node.adminPassword);
    const alice = ad.users['alice'];
    if (!alice) throw new Error('the basic seed has alice');
    await expect(
      admin.post('/api/directory/diagnostics', { name: alice.sam, password: alice.password }),
    ).resolves.toMatchObject({ status: 400 });
    await expect(admin.post('/api/directory/diagnostics', {})).resolves.toMatchObject({ status: 400 });
    await expect(admin.post('/api/directory/diagnostics', { name: alice.upn })).resolves.toMatchObject({
      status: 200,
      body: { outcome: 'found', dn: alice.dn, answeredBy: ad.ldapsUrl },
    });

    const deployer = new ApiClient(node.baseUrl);
    await deployer.login(DEPLOYER.username, DEPLOYER.password);
    await expect(deployer.post('/api/directory/diagnostics', { name: alice.sam })).resolves.toMatchObject({
      status: 403,
    });
  });

  it("shows an administrator the sync's state and a user's sign-in path: entry, groups, answering and dead controllers, times", async () => {
    const alice = ad.users['alice'];
    if (!alice) throw new Error('the basic seed has alice');
    const page = await signedIn(node.adminUsername, node.adminPassword);
    await page.getByTestId('nav-directory').click();
    await page.waitForURL(/\/directory$/);
    await expect(page.title()).resolves.toBe('Directory · Flotilla');
    await page.getByTestId('directory-sync-health').waitFor();
    // Configured: the sync's facts are listed (whether it has run yet depends on the node's timing).
    await page.getByTestId('directory-sync-last-attempt').waitFor();
    // No team names a group here: whatever the pass did, team groups read as refreshed, not stale.
    await expect(text(page, 'directory-sync-team-groups')).resolves.toMatch(/^\d+ checked, \d+ membership/);

    await diagnose(page, `${ad.netbiosDomain}\\${alice.sam}`);
    await expect(text(page, 'diagnostics-outcome')).resolves.toBe('Found');
    await expect(text(page, 'diagnostics-name-form')).resolves.toBe('account');
    await expect(text(page, 'diagnostics-dn')).resolves.toBe(alice.dn);
    await expect(text(page, 'diagnostics-user-key')).resolves.toMatch(/^[0-9a-f]{8}-[0-9a-f-]{27}$/);
    await expect(text(page, 'diagnostics-answered-by')).resolves.toBe(ad.ldapsUrl);
    await expect(text(page, 'diagnostics-refusal')).resolves.toContain('Not refused');
    await expect(groupNames(page, 'direct')).resolves.toEqual(
      [ad.groups['level1']?.sam, ad.groups['special']?.sam].sort(),
    );
    await expect(groupNames(page, 'nested')).resolves.toEqual(
      expect.arrayContaining([ad.groups['level2']?.sam, ad.groups['level3']?.sam]),
    );
    await expect(groupNames(page, 'primary')).resolves.toEqual(['Domain Users']);

    // The blackholed controller first: its connect failed after the timeout; then the DC answered each step.
    const dead = page.locator(`[data-testid="diagnostics-step"][data-controller="${blackholeUrl}"]`);
    await expect(dead.count()).resolves.toBe(1);
    await expect(dead.getAttribute('data-step')).resolves.toBe('connect');
    await expect(dead.getAttribute('data-ok')).resolves.toBe('false');
    await expect(dead.getByTestId('diagnostics-step-result').textContent()).resolves.toMatch(
      /timeout|took longer than/i,
    );
    const deadSeconds = Number(
      /([\d.]+) s/.exec((await dead.getByTestId('diagnostics-step-time').textContent()) ?? '')?.[1],
    );
    expect(deadSeconds).toBeGreaterThanOrEqual((TIMEOUT_MS - 10) / 1000);
    const live = page.locator(`[data-testid="diagnostics-step"][data-controller="${ad.ldapsUrl}"]`);
    await expect(
      live.evaluateAll((rows) =>
        rows.map((row) => `${row.getAttribute('data-step')}:${row.getAttribute('data-ok')}`),
      ),
    ).resolves.toEqual([
      'connect:true',
      'bind:true',
      'user-search:true',
      'account-state:true',
      'groups-in-chain:true',
      'primary-group:true',
      'primary-group-parents:true',
      'groups-direct:true',
    ]);
    // For the README and for a person to look at: the page as an administrator sees it.
    await page.screenshot({ path: '/tmp/portal-directory-diagnostics.png', fullPage: true });
    await page.context().close();
  });

  it('says why sign-in refuses a disabled account, and that an unknown name finds nobody', async () => {
    const disabled = ad.users['disabled'];
    if (!disabled) throw new Error('the basic seed has a disabled user');
    const page = await signedIn(node.adminUsername, node.adminPassword);
    await page.goto(`${node.baseUrl}/directory`);
    await diagnose(page, disabled.upn);
    await expect(text(page, 'diagnostics-outcome')).resolves.toContain('sign-in refuses it (disabled)');
    await expect(text(page, 'diagnostics-refusal')).resolves.toContain('DirectoryAccountDisabled');

    await diagnose(page, 'nobody-by-this-name');
    await page.getByText('Not found', { exact: true }).waitFor();
    await expect(page.getByTestId('diagnostics-dn').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('hides the page from a user without AdministerSystem', async () => {
    const page = await signedIn(DEPLOYER.username, DEPLOYER.password);
    await expect(page.getByTestId('nav-directory').count()).resolves.toBe(0);
    await page.goto(`${node.baseUrl}/directory`);
    await page.waitForURL(/\/projects$/);
    await page.context().close();
  });
});
