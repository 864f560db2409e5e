import { ApiClient, eventually, FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import {
  expectNoCspProblemsInEachTest,
  launchChromium,
  newWatchedPage,
  signInThroughPage,
  stopAll,
} from './portal-browser.test-support';
import { adminApi, createLocalUsers } from './portal-fixtures.test-support';

const DEPLOYER = { username: 'kim-keys', password: 'kim-keys-password', displayName: 'Kim Keys' };
const NO_ROLES = { username: 'nora-none', password: 'nora-none-password', displayName: 'Nora None' };
/** How far ahead the short-lived key expires: room for creating it and using it once on a busy machine. */
const SHORT_EXPIRY_MS = 45_000;

/**
 * The API keys page in real Chromium against a real node (portal built, strict CSP): a user
 * creates a key, sees its secret once (copied through the real clipboard), uses it against the
 * REST API, revokes it on the page and the API refuses it; a key created with a short expiry
 * works until then, is refused after it and is shown as expired; an expiry in the past is refused
 * with the API's reason; a user without ApiKeyEdit has no such page.
 */
describe('API keys page (browser)', () => {
  let node: FlotillaNode;
  let browser: Browser;
  const problems: string[] = [];

  /** A fresh browser session (its own sessionStorage and clipboard grant), signed in as this user. */
  async function signedIn(username: string, password: string): Promise<Page> {
    const page = await newWatchedPage(browser, problems, { clipboardOrigin: node.baseUrl });
    await signInThroughPage(page, node.baseUrl, username, password);
    return page;
  }

  async function openApiKeys(page: Page): Promise<void> {
    await page.getByTestId('nav-api-keys').click();
    await page.waitForURL(/\/api-keys$/);
    await page.getByTestId('api-key-create-form').waitFor();
  }

  /** Fills the form and submits; returns the secret the page shows once. */
  async function createKey(page: Page, purpose: string, expiresLocal = ''): Promise<string> {
    await page.getByTestId('api-key-purpose').fill(purpose);
    if (expiresLocal) await page.getByTestId('api-key-expires').fill(expiresLocal);
    await page.getByTestId('api-key-create-submit').click();
    await page.getByTestId('api-key-created').waitFor();
    return page.getByTestId('api-key-secret').inputValue();
  }

  const rowOf = (page: Page, purpose: string) =>
    page.locator(`[data-testid="api-key-row"][data-purpose="${purpose}"]`);
  const stateOf = async (page: Page, purpose: string) =>
    ((await rowOf(page, purpose).getByTestId('api-key-state').textContent()) ?? '').trim();

  /** GET /api/users/me with the key alone, as a script would call the API. */
  async function callWithKey(secret: string): Promise<{ status: number; username?: string }> {
    const response = await fetch(`${node.baseUrl}/api/users/me`, { headers: { 'X-Octopus-ApiKey': secret } });
    const body = (await response.json()) as { username?: string };
    return { status: response.status, username: body.username };
  }

  /** A `datetime-local` value in the browser's own time zone, `ms` from now by the browser's clock. */
  const browserLocalIn = (page: Page, ms: number) =>
    page.evaluate((offset) => {
      const at = new Date(Date.now() + offset);
      const two = (n: number) => String(n).padStart(2, '0');
      return (
        `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}` +
        `T${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`
      );
    }, ms);

  beforeAll(async () => {
    node = await startFlotillaNode({ portal: true });
    await createLocalUsers(await adminApi(node), [
      [DEPLOYER, ['Deployer']],
      [NO_ROLES, []],
    ]);
    browser = await launchChromium();
  }, 300_000);

  afterAll(() => stopAll(browser, node));

  expectNoCspProblemsInEachTest(problems);

  it('creates a key shown once, which works against the API until revoked on the page', async () => {
    const page = await signedIn(DEPLOYER.username, DEPLOYER.password);
    await openApiKeys(page);
    await page.getByTestId('api-keys-empty').waitFor();

    const secret = await createKey(page, 'CI for Shop');
    expect(secret.length).toBeGreaterThan(20);
    await expect(page.getByTestId('api-key-once-warning').textContent()).resolves.toContain(
      'you will not see it again',
    );
    await page.getByTestId('api-key-copy').click();
    await expect(page.getByTestId('api-key-copy-outcome').textContent()).resolves.toContain('Copied');
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(secret);
    await expect(stateOf(page, 'CI for Shop')).resolves.toBe('Active');
    await expect(
      rowOf(page, 'CI for Shop').getByTestId('api-key-expires-at').textContent(),
    ).resolves.toContain('Never');

    await page.screenshot({ path: '/tmp/portal-api-key-created.png', fullPage: true });
    await expect(callWithKey(secret)).resolves.toEqual({ status: 200, username: DEPLOYER.username });

    // Once dismissed, or after a reload, the secret is nowhere on the page (nor in the list the API sends).
    await page.getByTestId('api-key-dismiss').click();
    // count() does not wait for Angular to redraw; waiting for detachment does (and fails if it never goes).
    await page.getByTestId('api-key-created').waitFor({ state: 'detached', timeout: 5_000 });
    await page.reload();
    await rowOf(page, 'CI for Shop').waitFor();
    await expect(page.content()).resolves.not.toContain(secret);

    // Revoking asks first; cancelling keeps the key working.
    await rowOf(page, 'CI for Shop').getByTestId('api-key-revoke').click();
    await expect(page.getByTestId('api-key-confirm-question').textContent()).resolves.toContain(
      'CI for Shop',
    );
    await page.getByTestId('api-key-confirm-cancel').click();
    await expect(callWithKey(secret)).resolves.toMatchObject({ status: 200 });

    await rowOf(page, 'CI for Shop').getByTestId('api-key-revoke').click();
    await page.getByTestId('api-key-confirm-submit').click();
    await page.getByTestId('api-key-action-done').waitFor();
    await rowOf(page, 'CI for Shop').waitFor({ state: 'detached', timeout: 5_000 });
    // Refused on every node within a second (gateway cache); polled with room for a busy machine.
    await eventually(
      async () => ((await callWithKey(secret)).status === 401 ? true : undefined),
      15_000,
      'the revoked key to be refused',
    );
    await page.context().close();
  }, 120_000);

  it('refuses an expiry in the past with the API reason, and a short-lived key after its expiry', async () => {
    const page = await signedIn(DEPLOYER.username, DEPLOYER.password);
    await openApiKeys(page);

    await page.getByTestId('api-key-purpose').fill('Already over');
    await page.getByTestId('api-key-expires').fill(await browserLocalIn(page, -3_600_000));
    await page.getByTestId('api-key-create-submit').click();
    await expect(page.getByTestId('api-key-create-error').textContent()).resolves.toContain(
      'expiresAt must be in the future',
    );
    await expect(rowOf(page, 'Already over').count()).resolves.toBe(0);

    const secret = await createKey(page, 'Short lived', await browserLocalIn(page, SHORT_EXPIRY_MS));
    const owner = new ApiClient(node.baseUrl);
    expect((await owner.login(DEPLOYER.username, DEPLOYER.password)).status).toBe(200);
    const listed = await owner.get<{ items: { purpose: string; expiresAt?: string }[] }>('/api/apikeys');
    const expiresAt = Date.parse(
      listed.body.items.find((key) => key.purpose === 'Short lived')?.expiresAt ?? '',
    );
    expect(expiresAt).toBeGreaterThan(Date.now());
    const expiresText = await rowOf(page, 'Short lived').getByTestId('api-key-expires-at').textContent();
    expect(expiresText).not.toContain('Never');
    await expect(stateOf(page, 'Short lived')).resolves.toBe('Active');
    await expect(callWithKey(secret)).resolves.toMatchObject({ status: 200 });

    // After the expiry the API refuses it (judged by the database clock) and the page says so.
    await eventually(
      async () => ((await callWithKey(secret)).status === 401 ? true : undefined),
      SHORT_EXPIRY_MS + 60_000,
      'the expired key to be refused',
    );
    // Refused because it expired, not earlier (the node and the database share this machine's clock).
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    await page.reload();
    await rowOf(page, 'Short lived').waitFor();
    await expect(stateOf(page, 'Short lived')).resolves.toBe('Expired');
    await page.context().close();
  }, 240_000);

  it('shows no API keys page to a user without ApiKeyEdit, even by its address', async () => {
    const page = await signedIn(NO_ROLES.username, NO_ROLES.password);
    await page.getByTestId('current-user').waitFor();
    await expect(page.getByTestId('nav-api-keys').count()).resolves.toBe(0);
    await page.goto(`${node.baseUrl}/api-keys`);
    await page.waitForURL(/\/projects$/);
    await expect(page.getByTestId('api-key-create-form').count()).resolves.toBe(0);
    await page.context().close();
  }, 60_000);
});
