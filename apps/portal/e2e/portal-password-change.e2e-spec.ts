import { readdir, readFile } from 'node:fs/promises';

import { ApiClient, FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import { launchChromium, newWatchedPage, stopAll, submitSignInForm } from './portal-browser.test-support';

const NEW_PASSWORD = 'my own admin passphrase';

/** The service processes of the node on this HTTP port: service name -> its environment. */
async function serviceEnvironments(httpPort: string): Promise<Map<string, Map<string, string>>> {
  const found = new Map<string, Map<string, string>>();
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    // The command line first: only Flotilla service processes have their environment read.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const service = /apps\/([a-z-]+)\/src\/main\.ts/.exec(cmdline)?.[1];
    if (!service) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    const env = new Map(
      environ
        .split('\0')
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const),
    );
    if (env.get('FLOTILLA_HTTP_PORT') === httpPort) found.set(service, env);
  }
  return found;
}

/**
 * `npm start` without FLOTILLA_ADMIN_PASSWORD, as a first-time operator runs it: the launcher
 * generates the administrator's password, prints it once and gives it to auth alone; the portal's
 * first sign-in with it asks for a new password (under the Content-Security-Policy), then signs in.
 */
describe('First sign-in with a generated admin password (browser)', () => {
  let node: FlotillaNode;
  let browser: Browser;
  let page: Page;
  let generated: string;
  const problems: string[] = [];

  beforeAll(async () => {
    // An empty FLOTILLA_ADMIN_PASSWORD is "not configured": the launcher generates one.
    node = await startFlotillaNode({ portal: true, env: { FLOTILLA_ADMIN_PASSWORD: '' } });
    generated = /Sign in: {2}admin \/ (\S+) {2}\(generated/.exec(node.output())?.[1] ?? '';
    browser = await launchChromium();
    page = await newWatchedPage(browser, problems);
  }, 300_000);

  afterAll(() => stopAll(browser, node));

  it('prints the generated password once and gives it to the auth process alone', async () => {
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const environments = await serviceEnvironments(new URL(node.baseUrl).port);
    const holders = [...environments]
      .filter(([, env]) => env.has('FLOTILLA_ADMIN_PASSWORD'))
      .map(([service]) => service);
    expect([...environments.keys()].sort()).toEqual(
      ['artifact-store', 'audit', 'auth', 'deployment-executor', 'gateway', 'task-orchestrator'].sort(),
    );
    expect(holders).toEqual(['auth']);
    expect(environments.get('auth')?.get('FLOTILLA_ADMIN_PASSWORD_GENERATED')).toBe('true');
  });

  it('asks for a new password at first sign-in, then signs in with it; the generated one stops working', async () => {
    const api = new ApiClient(node.baseUrl);
    const refused = await api.login('admin', generated);
    expect(refused).toMatchObject({ status: 403, body: { error: 'PasswordChangeRequired' } });
    // The change route checks its input and the current password before anything changes.
    const change = (currentPassword: string, newPassword: string) =>
      api.post('/api/users/password', { username: 'admin', currentPassword, newPassword });
    await expect(change(generated, 'too short')).resolves.toMatchObject({ status: 400 });
    await expect(change(`wrong-${generated}`, NEW_PASSWORD)).resolves.toMatchObject({
      status: 401,
      body: { message: 'Invalid username or password' },
    });
    await expect(api.login('admin', generated)).resolves.toMatchObject({ status: 403 });

    await page.goto(`${node.baseUrl}/sign-in`);
    await submitSignInForm(page, 'admin', generated);
    await page.getByTestId('change-password-form').waitFor();
    await page.getByTestId('change-password-new').fill(NEW_PASSWORD);
    await page.getByTestId('change-password-confirm').fill(NEW_PASSWORD);
    await page.getByTestId('change-password-submit').click();
    await page.waitForURL(/\/projects$/);
    await page.waitForLoadState('load');

    expect(problems).toEqual([]);
    await expect(new ApiClient(node.baseUrl).login('admin', generated)).resolves.toMatchObject({
      status: 401,
    });
    await expect(new ApiClient(node.baseUrl).login('admin', NEW_PASSWORD)).resolves.toMatchObject({
      status: 200,
    });
  }, 120_000);
});
