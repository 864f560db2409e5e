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
  stopAll,
  submitSignInForm,
} from './portal-browser.test-support';
import { adminApi, createLocalUsers } from './portal-fixtures.test-support';

const CAROL = { username: 'carla-local', password: 'carla-first-password', displayName: 'Carla Local' };
const AUDITOR = { username: 'audrey', password: 'audrey-password', displayName: 'Audrey Auditor' };
const THROTTLED = { username: 'trudy', password: 'trudy-right-password', displayName: 'Trudy' };
const RESET_PASSWORD = 'reset-by-the-administrator';

/**
 * The sign-in page and the Users page in real Chromium against a real node (portal built, strict
 * CSP) whose auth signs in to a real Samba AD DC: the directory is named on the sign-in page, a
 * disabled directory account and the throttle get messages the user can act on, a wrong password
 * the one generic message, and an administrator disables, re-enables and resets a local account
 * from the Users page with each effect seen at that user's next sign-in.
 */
describe('Sign-in messages and the Users page (browser)', () => {
  let ad: SambaAd;
  let node: FlotillaNode;
  let browser: Browser;
  const problems: string[] = [];

  /** A fresh browser session (its own sessionStorage), watched for CSP problems. */
  const newPage = () => newWatchedPage(browser, problems);

  /** Submits the sign-in form; what follows (projects, an error, a password change) is the test's to see. */
  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${node.baseUrl}/sign-in`);
    await submitSignInForm(page, username, password);
  }

  async function signInError(username: string, password: string): Promise<string> {
    const page = await newPage();
    await signIn(page, username, password);
    const text = (await page.getByTestId('login-error').textContent()) ?? '';
    await page.context().close();
    return text.trim();
  }

  /** Clicks an action on a user's row and confirms it (typing the password for a reset). */
  async function act(page: Page, username: string, action: string, newPassword?: string): Promise<void> {
    await page.locator(`[data-testid="user-row"][data-username="${username}"]`).getByTestId(action).click();
    await page.getByTestId('user-confirm').waitFor();
    if (newPassword !== undefined) await page.getByTestId('user-reset-password').fill(newPassword);
    await page.getByTestId('user-confirm-submit').click();
  }

  /** A cell of a user's row, its text trimmed (the template wraps it in whitespace). */
  const cellOf = async (page: Page, username: string, cell: 'user-state' | 'user-source') =>
    (
      (await page
        .locator(`[data-testid="user-row"][data-username="${username}"]`)
        .getByTestId(cell)
        .textContent()) ?? ''
    ).trim();
  const stateOf = (page: Page, username: string) => cellOf(page, username, 'user-state');

  beforeAll(async () => {
    ad = await startSambaAd({ seed: 'basic' });
    node = await startFlotillaNode({
      portal: true,
      env: sambaDirectoryEnvironment(ad),
    });
    await createLocalUsers(await adminApi(node), [
      [CAROL, ['Deployer']],
      [AUDITOR, ['Auditor']],
      [THROTTLED, ['Deployer']],
    ]);
    browser = await launchChromium();
  }, 300_000);

  afterAll(() => stopAll(browser, node, ad));

  expectNoCspProblemsInEachTest(problems);

  it('names the directory on the sign-in page (and the API says no more than kind and domain)', async () => {
    const providers = await new ApiClient(node.baseUrl).get('/api/auth/providers');
    expect(providers).toMatchObject({
      status: 200,
      body: { directory: { kind: 'ad', domain: ad.netbiosDomain.toUpperCase() } },
    });
    expect(JSON.stringify(providers.body)).not.toContain(ad.bindPassword);
    expect(JSON.stringify(providers.body)).not.toContain('ldap');
    const page = await newPage();
    await page.goto(`${node.baseUrl}/sign-in`);
    await expect(page.getByTestId('login-directory').textContent()).resolves.toContain(
      `Active Directory account in ${ad.netbiosDomain.toUpperCase()}`,
    );
    await page.context().close();
  });

  it('tells a disabled directory account what to do, and a wrong password only the generic message', async () => {
    const disabled = ad.users['disabled'];
    const known = ad.users['alice'] ?? Object.values(ad.users).find((user) => user !== disabled);
    if (!disabled || !known) throw new Error('the basic seed has no disabled user or no other user');
    const api = new ApiClient(node.baseUrl);
    await expect(api.login(`${ad.netbiosDomain}\\${disabled.sam}`, disabled.password)).resolves.toMatchObject(
      {
        status: 403,
        body: { error: 'DirectoryAccountDisabled' },
      },
    );
    await expect(signInError(`${ad.netbiosDomain}\\${disabled.sam}`, disabled.password)).resolves.toBe(
      'Your account is disabled in the directory — contact your administrator.',
    );
    const generic = (await api.login(known.upn, 'not-the-password')).body as unknown as { message: string };
    await expect(signInError(known.upn, 'not-the-password')).resolves.toBe(generic.message);
    await expect(signInError('nobody-at-all', 'not-the-password')).resolves.toBe(generic.message);
  }, 60_000);

  it('lets an administrator disable, re-enable and reset a local account, each seen at its next sign-in', async () => {
    const admin = await newPage();
    await signIn(admin, node.adminUsername, node.adminPassword);
    await admin.waitForURL(/\/projects$/);
    await admin.getByTestId('nav-users').click();
    await admin.waitForURL(/\/users$/);
    await expect(stateOf(admin, CAROL.username)).resolves.toBe('Active');
    await expect(cellOf(admin, CAROL.username, 'user-source')).resolves.toBe('Local');

    // The API's refusal is shown: an administrator cannot disable their own account.
    const adminApi = new ApiClient(node.baseUrl);
    await adminApi.login(node.adminUsername, node.adminPassword);
    const users = await adminApi.get<{ items: { id: string; username: string }[] }>('/api/users');
    const adminId = users.body.items.find((user) => user.username === node.adminUsername)?.id;
    const selfDisable = await adminApi.post<{ message: string }>(`/api/users/${adminId}/disable`);
    expect(selfDisable.status).toBe(409);
    await act(admin, node.adminUsername, 'user-disable');
    await expect(admin.getByTestId('user-action-error').textContent()).resolves.toBe(
      selfDisable.body.message,
    );
    await admin.getByTestId('user-confirm-cancel').click();
    await expect(stateOf(admin, node.adminUsername)).resolves.toBe('Active');

    await act(admin, CAROL.username, 'user-disable');
    await admin.getByTestId('user-action-done').waitFor();
    await expect(stateOf(admin, CAROL.username)).resolves.toBe('Disabled');
    // A disabled local account is refused like a wrong password, by design (no hint that it exists).
    const api = new ApiClient(node.baseUrl);
    const refused = await api.login(CAROL.username, CAROL.password);
    expect(refused.status).toBe(401);
    const generic = (refused.body as unknown as { message: string }).message;
    await expect(signInError(CAROL.username, CAROL.password)).resolves.toBe(generic);

    await act(admin, CAROL.username, 'user-enable');
    await admin.getByTestId('user-action-done').waitFor();
    await expect(stateOf(admin, CAROL.username)).resolves.toBe('Active');
    const carol = await newPage();
    await signIn(carol, CAROL.username, CAROL.password);
    await carol.waitForURL(/\/projects$/);
    await carol.context().close();

    await act(admin, CAROL.username, 'user-reset', RESET_PASSWORD);
    await admin.getByTestId('user-action-done').waitFor();
    await expect(stateOf(admin, CAROL.username)).resolves.toBe('Active, must change password');
    const afterReset = await newPage();
    await signIn(afterReset, CAROL.username, RESET_PASSWORD);
    await afterReset.getByTestId('change-password-form').waitFor();
    await afterReset.context().close();
    await admin.context().close();
  }, 120_000);

  it('shows no Users page to a user without UserEdit, even by its address', async () => {
    const page = await newPage();
    await signIn(page, AUDITOR.username, AUDITOR.password);
    await page.waitForURL(/\/projects$/);
    await page.getByTestId('current-user').waitFor();
    await expect(page.getByTestId('nav-users').count()).resolves.toBe(0);
    await page.goto(`${node.baseUrl}/users`);
    await page.waitForURL(/\/projects$/);
    await expect(page.getByTestId('users-table').count()).resolves.toBe(0);
    await page.context().close();
  }, 60_000);

  it('says how long to wait once wrong passwords are throttled', async () => {
    const page = await newPage();
    let message = '';
    for (let attempt = 1; attempt <= 8 && !message.startsWith('Too many'); attempt++) {
      await signIn(page, THROTTLED.username, `wrong-${attempt}`);
      const error = page.getByTestId('login-error');
      await error.waitFor();
      message = ((await error.textContent()) ?? '').trim();
      await page.getByTestId('login-submit').waitFor();
    }
    expect(message).toMatch(/^Too many failed sign-ins — try again in \d+ (minutes?|seconds)\.$/);
    const answer = await new ApiClient(node.baseUrl).login(THROTTLED.username, THROTTLED.password);
    expect(answer.status).toBe(429);
    await page.context().close();
  }, 60_000);
});
