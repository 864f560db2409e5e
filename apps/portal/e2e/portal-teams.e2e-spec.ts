import { ApiClient, FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import {
  expectNoCspProblemsInEachTest,
  launchChromium,
  newWatchedPage,
  stopAll,
  submitSignInForm,
} from './portal-browser.test-support';
import { adminApi, createLocalUsers, createNamed, Identified } from './portal-fixtures.test-support';

const DEE = { username: 'dee-deployer', password: 'dee-first-password', displayName: 'Dee Member' };
const AUDITOR = { username: 'audra', password: 'audra-password', displayName: 'Audra Auditor' };
const GROUP_SID = 'S-1-5-21-1004336348-1177238915-682003330-4107';

interface Me {
  permissions: string[];
  grants?: { permissions: string[]; projectIds?: string[]; environmentIds?: string[] }[];
}

/**
 * The Teams page in real Chromium against a real node (portal built, strict CSP): an administrator
 * makes a team of a user and a directory group granting Deployer on one project in one environment,
 * picked from the existing lists, and the member's next token carries exactly that; an Auditor
 * (UserView) sees the teams without any control that changes them; a user without UserView has no
 * Teams page.
 */
describe('Teams page (browser)', () => {
  let node: FlotillaNode;
  let browser: Browser;
  let api: ApiClient;
  let shop: Identified;
  let staging: Identified;
  const problems: string[] = [];

  /** A fresh browser session signed in as this user (a user without ProjectView lands elsewhere). */
  async function signedIn(username: string, password: string): Promise<Page> {
    const page = await newWatchedPage(browser, problems);
    await page.goto(`${node.baseUrl}/sign-in`);
    await submitSignInForm(page, username, password);
    await page.getByTestId('current-user').waitFor();
    return page;
  }

  const text = async (page: Page, testId: string) =>
    ((await page.getByTestId(testId).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

  beforeAll(async () => {
    // Generous: a busy machine can take minutes to start the node's services.
    node = await startFlotillaNode({ portal: true, startTimeoutMs: 480_000 });
    api = await adminApi(node);
    await createLocalUsers(api, [
      [DEE, []],
      [AUDITOR, ['Auditor']],
    ]);
    shop = await createNamed(api, '/api/projects', 'Shop');
    await createNamed(api, '/api/projects', 'Billing');
    staging = await createNamed(api, '/api/environments', 'Staging');
    await createNamed(api, '/api/environments', 'Production');
    browser = await launchChromium();
  }, 600_000);

  afterAll(() => stopAll(browser, node));

  expectNoCspProblemsInEachTest(problems);

  it('creates a team of a user and a directory group granting Deployer on Shop in Staging; the member gets exactly that', async () => {
    const page = await signedIn(node.adminUsername, node.adminPassword);
    await page.getByTestId('nav-teams').click();
    await page.getByTestId('teams-empty').waitFor();

    await page.getByTestId('team-new').click();
    await page.getByTestId('team-name').fill('Shop staging');
    await page.getByTestId('team-description').fill('Ships the shop to staging');
    const users = await api.get<{ items: { id: string; username: string }[] }>('/api/users');
    const dee = users.body.items.find((user) => user.username === DEE.username);
    if (!dee) throw new Error('dee was not created');
    await page.getByTestId('team-add-user').selectOption(dee.id);
    await page.getByTestId('team-add-user-button').click();
    await page.getByTestId('team-group-id').fill(GROUP_SID);
    await page.getByTestId('team-group-name').fill('Shop Team');
    await page.getByTestId('team-add-group').click();
    // count() does not wait: on a loaded machine (a fresh-clone CI run) it read the list before the
    // second member was drawn. Wait for the second one, then count.
    await page.getByTestId('team-form-member').nth(1).waitFor();
    await expect(page.getByTestId('team-form-member').count()).resolves.toBe(2);

    await page.getByTestId('team-add-grant').click();
    await page.getByTestId('team-grant-role').selectOption('Deployer');
    // Restricted to nothing is refused before it is sent: the API would grant nothing there.
    await page.getByTestId('team-grant-all-projects').uncheck();
    await page.getByTestId('team-save').click();
    await expect(text(page, 'team-error')).resolves.toContain('restricted to nothing');
    await page.locator('[data-testid="team-grant-project"][data-name="Shop"]').check();
    await page.getByTestId('team-grant-all-environments').uncheck();
    await page.locator('[data-testid="team-grant-environment"][data-name="Staging"]').check();
    await page.getByTestId('team-save').click();

    await page.getByTestId('team-done').waitFor();
    const row = page.locator('[data-testid="team-row"][data-team="Shop staging"]');
    await expect(row.getByTestId('team-grants').textContent()).resolves.toContain(
      'Deployer — projects: Shop; environments: Staging',
    );
    const members = (await row.getByTestId('team-members').textContent()) ?? '';
    expect(members).toContain('User: Dee Member');
    expect(members).toContain('Group: Shop Team');

    // The member's token now carries the grant, restricted as the page said.
    const member = new ApiClient(node.baseUrl);
    expect((await member.login(DEE.username, DEE.password)).status).toBe(200);
    const me = await member.get<Me>('/api/users/me');
    expect(me.body.grants).toEqual([
      {
        permissions: expect.arrayContaining(['ReleaseCreate', 'DeploymentCreate']) as unknown,
        projectIds: [shop.id],
        environmentIds: [staging.id],
      },
    ]);

    // A name taken in another letter case: the API's own words on the page.
    await page.getByTestId('team-new').click();
    await page.getByTestId('team-name').fill('SHOP STAGING');
    await page.getByTestId('team-save').click();
    await expect(text(page, 'team-error')).resolves.toBe('A team named SHOP STAGING already exists');
    await page.context().close();
  }, 180_000);

  it('edits a team: the grant removed, the member keeps no permission from it', async () => {
    const page = await signedIn(node.adminUsername, node.adminPassword);
    await page.goto(`${node.baseUrl}/teams`);
    const row = page.locator('[data-testid="team-row"][data-team="Shop staging"]');
    await row.getByTestId('team-edit').click();
    await page.getByTestId('team-form-grant').getByText('Remove grant').click();
    await page.getByTestId('team-save').click();
    await page.getByTestId('team-done').waitFor();
    await expect(row.getByTestId('team-grants').textContent()).resolves.toBe('');

    const member = new ApiClient(node.baseUrl);
    expect((await member.login(DEE.username, DEE.password)).status).toBe(200);
    await expect(member.get<Me>('/api/users/me')).resolves.toMatchObject({ body: { permissions: [] } });
    await page.context().close();
  }, 180_000);

  it('shows an Auditor (UserView) the teams without controls, and a user without UserView no Teams page', async () => {
    const auditor = await signedIn(AUDITOR.username, AUDITOR.password);
    await auditor.getByTestId('nav-teams').click();
    await auditor.getByTestId('teams-table').waitFor();
    await expect(auditor.getByTestId('team-row').count()).resolves.toBe(1);
    await expect(auditor.getByTestId('team-new').count()).resolves.toBe(0);
    await expect(auditor.getByTestId('team-edit').count()).resolves.toBe(0);
    await expect(auditor.getByTestId('team-delete').count()).resolves.toBe(0);
    await auditor.context().close();

    // Dee holds no role of her own, and her team grants nothing any more.
    const member = await signedIn(DEE.username, DEE.password);
    await expect(member.getByTestId('nav-teams').count()).resolves.toBe(0);
    await member.goto(`${node.baseUrl}/teams`);
    await member.waitForURL((url) => !url.pathname.startsWith('/teams'));
    await member.context().close();
  }, 180_000);
});
