import { ApiClient, FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Locator, Page } from 'playwright-core';

import {
  expectNoCspProblemsInEachTest,
  launchChromium,
  newWatchedPage,
  signInThroughPage,
  stopAll,
} from './portal-browser.test-support';
import {
  adminApi,
  createLocalUsers,
  createNamed,
  Identified,
  LocalUser,
} from './portal-fixtures.test-support';

/** Member of a team only: Deployer on Shop in Staging, and read-only on Shop everywhere. */
const SCOPED: LocalUser = {
  username: 'sam-scoped',
  password: 'sam-scoped-password',
  displayName: 'Sam Scoped',
};
/** The contrast: the global Deployer role, every project and environment. */
const DEPLOYER: LocalUser = {
  username: 'dan-deployer',
  password: 'dan-deployer-password',
  displayName: 'Dan',
};
const TEAM_NAME = 'Shop staging deployers';

/**
 * A team-scoped user in real Chromium against a real node (portal built, strict CSP): the portal
 * shows them only what their grants allow. The team grants Deployer on project Shop in Staging,
 * plus Auditor on Shop in every environment, so Production is listed and readable to them: the
 * deploy form must leave it out because of the grant, not because they cannot see it. Billing
 * (the other project) is neither listed nor opened by its address; system pages (users, teams,
 * directory, audit) are absent; a deployment the grant stops allowing while the page is open is
 * refused with the API's reason, and the page opened again offers no release, deployment or process
 * edit. A running task offers Cancel only in Staging. An unrestricted Deployer, by contrast, sees,
 * deploys and cancels in both.
 */
describe('Team-scoped roles in the portal (browser)', () => {
  let node: FlotillaNode;
  let browser: Browser;
  let admin: ApiClient;
  let team: Identified;
  let scopedId: string;
  let shop: Identified;
  let billing: Identified;
  let staging: Identified;
  let production: Identified;
  /** Tasks the administrator started: Shop to Production, Billing to Staging. */
  let shopProductionTask: string;
  let billingTask: string;
  const problems: string[] = [];

  async function signedIn(user: LocalUser): Promise<Page> {
    const page = await newWatchedPage(browser, problems);
    await signInThroughPage(page, node.baseUrl, user.username, user.password);
    await page.getByTestId('current-user').waitFor();
    return page;
  }

  /** The text of every element the locator finds, trimmed, sorted. */
  const sortedTexts = async (found: Locator) =>
    (await found.evaluateAll((each) => each.map((element) => (element.textContent ?? '').trim()))).sort();

  /** The names of the projects the Projects page lists (after it has loaded), sorted. */
  async function listedProjects(page: Page): Promise<string[]> {
    await page.goto(`${node.baseUrl}/projects`);
    await page.getByTestId('projects-table').waitFor();
    return sortedTexts(page.locator('[data-testid="project-row"] a'));
  }

  /** Opens a project's page and its release 1.0.0's deploy form; answers the environments it offers, sorted. */
  async function offeredEnvironments(page: Page, project: Identified): Promise<string[]> {
    await page.goto(`${node.baseUrl}/projects/${project.id}`);
    const release = page.locator('[data-testid="release-row"][data-version="1.0.0"]');
    await release.waitFor();
    await release.getByTestId('deploy-release').click();
    return sortedTexts(page.getByTestId('deploy-form').getByTestId('deploy-environment').locator('option'));
  }

  /** The team's grants: Deployer on Shop in Staging (when `deployer`) and Auditor on Shop anywhere. */
  function grants(deployer: boolean): unknown[] {
    const view = { role: 'Auditor', projectIds: [shop.id] };
    return deployer
      ? [{ role: 'Deployer', projectIds: [shop.id], environmentIds: [staging.id] }, view]
      : [view];
  }

  /** Release `version` of a one-step process running `scriptBody` (the admin sets the process first). */
  async function scriptRelease(project: Identified, version: string, scriptBody: string): Promise<string> {
    const process = await admin.put(`/api/projects/${project.id}/deploymentprocess`, {
      steps: [{ name: 'Script', actionType: 'run-script', properties: { scriptBody } }],
      retryable: false,
    });
    expect(process.status).toBe(200);
    const release = await admin.post<Identified>(`/api/projects/${project.id}/releases`, {
      version,
      packages: [],
    });
    expect(release.status).toBe(201);
    return release.body.id;
  }

  /** The admin's deployment of a release to `environment`; its task id. */
  async function deploy(releaseId: string, environment: Identified): Promise<string> {
    const deployment = await admin.post<{ taskId: string }>('/api/deployments', {
      releaseId,
      environmentId: environment.id,
    });
    expect(deployment.status).toBe(201);
    return deployment.body.taskId;
  }

  /** A release 1.0.0 of a one-step script process, and its deployment to `environment` by the admin. */
  async function releaseAndDeploy(project: Identified, environment: Identified): Promise<string> {
    return deploy(await scriptRelease(project, '1.0.0', 'echo "Hello scoped"'), environment);
  }

  beforeAll(async () => {
    // Generous: a busy machine can take minutes to start the node's services (and build the portal).
    node = await startFlotillaNode({ portal: true, startTimeoutMs: 480_000 });
    admin = await adminApi(node);
    const userIds = await createLocalUsers(admin, [
      [SCOPED, []],
      [DEPLOYER, ['Deployer']],
    ]);
    scopedId = userIds[0] ?? '';
    shop = await createNamed(admin, '/api/projects', 'Shop');
    billing = await createNamed(admin, '/api/projects', 'Billing');
    staging = await createNamed(admin, '/api/environments', 'Staging');
    production = await createNamed(admin, '/api/environments', 'Production');
    shopProductionTask = await releaseAndDeploy(shop, production);
    billingTask = await releaseAndDeploy(billing, staging);
    const created = await admin.post<Identified>('/api/teams', {
      name: TEAM_NAME,
      members: [{ kind: 'user', id: scopedId }],
      grants: grants(true),
    });
    expect(created.status).toBe(201);
    team = created.body;
    browser = await launchChromium();
  }, 600_000);

  afterAll(() => stopAll(browser, node));

  expectNoCspProblemsInEachTest(problems);

  it('lists only Shop to the scoped user, with no system pages and no create forms', async () => {
    const page = await signedIn(SCOPED);
    await expect(listedProjects(page)).resolves.toEqual(['Shop']);
    await expect(page.getByTestId('create-project-form').count()).resolves.toBe(0);

    // System power is never given by a restricted grant: no link, and the address sends them back.
    for (const [nav, path] of [
      ['nav-users', '/users'],
      ['nav-teams', '/teams'],
      ['nav-directory', '/directory'],
      ['nav-events', '/events'],
    ] as const) {
      await expect(page.getByTestId(nav).count()).resolves.toBe(0);
      await page.goto(`${node.baseUrl}${path}`);
      await page.waitForURL(/\/projects$/);
    }
    // Nodes are cluster state shown to anyone with TaskView somewhere; administering them is not.
    await page.getByTestId('nav-nodes').click();
    await page.getByTestId('nodes-table').waitFor();
    for (const control of ['node-drain', 'node-resume', 'node-remove', 'node-task-cap-save']) {
      await expect(page.getByTestId(control).count()).resolves.toBe(0);
    }
    // Both environments are visible (the Auditor grant), but creating one is system power.
    await page.goto(`${node.baseUrl}/environments`);
    await page.getByTestId('environments-table').waitFor();
    await expect(page.getByTestId('environment-row').count()).resolves.toBe(2);
    await expect(page.getByTestId('create-environment-form').count()).resolves.toBe(0);
    await page.goto(`${node.baseUrl}/packages`);
    await page.getByRole('heading', { name: 'Packages' }).waitFor();
    await expect(page.getByTestId('upload-package-form').count()).resolves.toBe(0);
    await page.screenshot({ path: '/tmp/portal-scoped-projects.png', fullPage: true });
    await page.context().close();
  }, 120_000);

  it("offers Shop's deployment to Staging only, and it runs there", async () => {
    const page = await signedIn(SCOPED);
    await expect(offeredEnvironments(page, shop)).resolves.toEqual(['Staging']);
    await page.screenshot({ path: '/tmp/portal-scoped-deploy-form.png', fullPage: true });
    await page.getByTestId('deploy-form').getByTestId('deploy-submit').click();
    await page.waitForURL(/\/tasks\/[^/]+$/);
    await page.locator('[data-testid="task-state"][data-state="Success"]').waitFor({ timeout: 90_000 });
    await page.context().close();
  }, 180_000);

  it("shows Billing's project and task pages as not found, never Billing's data", async () => {
    const page = await signedIn(SCOPED);
    await page.goto(`${node.baseUrl}/projects/${billing.id}`);
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not found/i);
    await expect(page.getByTestId('project-name').count()).resolves.toBe(0);
    await expect(page.getByTestId('release-row').count()).resolves.toBe(0);

    await page.goto(`${node.baseUrl}/tasks/${billingTask}`);
    await page.getByRole('alert').first().waitFor();
    await expect(page.getByTestId('task-state').count()).resolves.toBe(0);
    await expect(page.getByTestId('log-line').count()).resolves.toBe(0);
    await expect(page.locator('main').textContent()).resolves.not.toContain('Billing');

    // The tasks list holds Shop's deployment to Production (readable to them), not Billing's.
    await page.goto(`${node.baseUrl}/tasks`);
    await page.locator(`a[href="/tasks/${shopProductionTask}"]`).waitFor();
    await expect(page.locator(`a[href="/tasks/${billingTask}"]`).count()).resolves.toBe(0);
    await page.context().close();
  }, 120_000);

  it('gives an unrestricted Deployer both projects and both environments', async () => {
    const page = await signedIn(DEPLOYER);
    await expect(listedProjects(page)).resolves.toEqual(['Billing', 'Shop']);
    await expect(page.getByTestId('create-project-form').count()).resolves.toBe(1);
    await expect(offeredEnvironments(page, shop)).resolves.toEqual(['Production', 'Staging']);
    await expect(offeredEnvironments(page, billing)).resolves.toEqual(['Production', 'Staging']);
    await page.context().close();
  }, 120_000);

  it('offers Cancel on a running task only in the environment the grant allows cancelling in', async () => {
    // Release 2.0.0 of Shop sleeps, deployed to both environments: two tasks running at once.
    const sleeping = await scriptRelease(shop, '2.0.0', 'sleep 300');
    const running = {
      staging: await deploy(sleeping, staging),
      production: await deploy(sleeping, production),
    };
    try {
      /** The task page once the task shows Executing; answers how many Cancel buttons it offers. */
      const cancelButtons = async (page: Page, taskId: string): Promise<number> => {
        await page.goto(`${node.baseUrl}/tasks/${taskId}`);
        await page.locator('[data-testid="task-state"][data-state="Executing"]').waitFor({ timeout: 60_000 });
        return page.getByTestId('task-cancel').count();
      };
      const scoped = await signedIn(SCOPED);
      // Deployer (TaskCancel) on Shop in Staging; Production only through the Auditor grant.
      await expect(cancelButtons(scoped, running.staging)).resolves.toBe(1);
      await expect(cancelButtons(scoped, running.production)).resolves.toBe(0);
      await scoped.screenshot({ path: '/tmp/portal-scoped-no-cancel.png', fullPage: true });
      await scoped.context().close();

      // The unrestricted Deployer may cancel there, and does, through the page.
      const deployer = await signedIn(DEPLOYER);
      await expect(cancelButtons(deployer, running.production)).resolves.toBe(1);
      await deployer.getByTestId('task-cancel').click();
      await deployer
        .locator('[data-testid="task-state"][data-state="Canceled"]')
        .waitFor({ timeout: 60_000 });
      await deployer.context().close();
    } finally {
      for (const taskId of Object.values(running)) await admin.post(`/api/tasks/${taskId}/cancel`, {});
    }
  }, 240_000);

  // Last: it takes the team's Deployer grant away.
  it("refuses, with the API's reason, a deployment the grant stopped allowing while the page was open", async () => {
    const page = await signedIn(SCOPED);
    await expect(offeredEnvironments(page, shop)).resolves.toEqual(['Staging']);
    // Deployer on Shop edits its process (ProcessEdit has no environment to restrict).
    await expect(page.getByTestId('save-process').count()).resolves.toBe(1);
    const emptied = await admin.put(`/api/teams/${team.id}`, {
      name: TEAM_NAME,
      members: [{ kind: 'user', id: scopedId }],
      grants: grants(false),
    });
    expect(emptied.status).toBe(200);
    // The gateway caches a principal for a second; after it the next request sees the new grants.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await page.getByTestId('deploy-form').getByTestId('deploy-submit').click();
    await expect(page.getByTestId('deploy-error').textContent()).resolves.toBe(
      'This action requires the DeploymentCreate permission',
    );
    expect(page.url()).toMatch(new RegExp(`/projects/${shop.id}$`));

    // Opened again, the page follows the new grant: Shop readable, nothing to release or deploy.
    await page.reload();
    await page.locator('[data-testid="release-row"][data-version="1.0.0"]').waitFor();
    await expect(page.getByTestId('deploy-release').count()).resolves.toBe(0);
    await expect(page.getByTestId('create-release-form').count()).resolves.toBe(0);
    await expect(page.getByTestId('save-process').count()).resolves.toBe(0);
    await page.context().close();
  }, 120_000);
});
