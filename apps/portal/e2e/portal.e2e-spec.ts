import { randomBytes } from 'node:crypto';

import { FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import { launchChromium, stopAll, submitSignInForm } from './portal-browser.test-support';

/** The browser journey a user takes through the portal, against one real node serving the built portal. */
describe('Portal (browser)', () => {
  let node: FlotillaNode;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    node = await startFlotillaNode({ portal: true });
    browser = await launchChromium();
  }, 300_000);

  afterAll(() => stopAll(browser, node));

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
  });

  afterEach(async () => {
    await page.close();
  });

  it('shows the API message when the password is wrong and stays on sign-in', async () => {
    await page.goto(`${node.baseUrl}/`);
    await page.waitForURL(/\/sign-in/);

    await submitSignInForm(page, node.adminUsername, `wrong-${node.adminPassword}`);

    const error = page.getByTestId('login-error');
    await error.waitFor();
    const message = (await error.textContent())?.trim() ?? '';
    expect(message).not.toBe('');
    expect(message).not.toMatch(/cannot reach/i);
    expect(page.url()).toMatch(/\/sign-in/);
    await page.screenshot({ path: '/tmp/portal-sign-in-error.png' });
  });

  it('deploys a script step to a new environment and shows the live log until Success', async () => {
    const suffix = randomBytes(3).toString('hex');
    const environmentName = `Staging-${suffix}`;
    const projectName = `Hello ${suffix}`;

    await page.goto(`${node.baseUrl}/`);
    await submitSignInForm(page, node.adminUsername, node.adminPassword);
    await page.waitForURL(/\/projects$/);
    expect(await page.getByTestId('current-user').getAttribute('title')).toBe(node.adminUsername);

    // An environment to deploy to.
    await page.getByRole('link', { name: 'Environments' }).click();
    await page.getByTestId('create-environment-name').fill(environmentName);
    await page.getByTestId('create-environment-submit').click();
    await page.getByTestId('environment-row').filter({ hasText: environmentName }).waitFor();

    // A project whose process is one script step using a built-in variable.
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.getByTestId('create-project-name').fill(projectName);
    await page.getByTestId('create-project-submit').click();
    await page.waitForURL(/\/projects\/[^/]+$/);
    expect(await page.getByTestId('project-name').textContent()).toBe(projectName);

    const editor = page.getByTestId('process-editor');
    await editor.getByTestId('step-name').fill('Say hello');
    await editor.getByTestId('step-script').fill('echo "Hello from #{Octopus.Environment.Name}"');
    await editor.getByTestId('add-step').click();
    await editor.getByTestId('process-step').filter({ hasText: 'Say hello' }).waitFor();
    await editor.getByTestId('save-process').click();
    await editor.getByTestId('process-saved').waitFor();

    // Release 1.0.0, then deploy it (the deploy form opens for a new release).
    await page.getByTestId('release-version').fill('1.0.0');
    await page.getByTestId('create-release-submit').click();
    await page.locator('[data-testid="release-row"][data-version="1.0.0"]').waitFor();
    const deployForm = page.getByTestId('deploy-form');
    if (!(await deployForm.isVisible())) {
      await page
        .locator('[data-testid="release-row"][data-version="1.0.0"]')
        .getByTestId('deploy-release')
        .click();
    }
    await deployForm.getByTestId('deploy-environment').selectOption({ label: environmentName });
    await deployForm.getByTestId('deploy-submit').click();

    // The task page follows the task live.
    await page.waitForURL(/\/tasks\/[^/]+$/);
    await page
      .getByTestId('log-line')
      .filter({ hasText: `Hello from ${environmentName}` })
      .waitFor({ timeout: 90_000 });
    await page.locator('[data-testid="task-state"][data-state="Success"]').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('task-state').textContent()).toContain('Success');
    expect(await page.getByTestId('task-cancel').count()).toBe(0);
    await page.screenshot({ path: '/tmp/portal-task-success.png', fullPage: true });
  }, 240_000);
});
