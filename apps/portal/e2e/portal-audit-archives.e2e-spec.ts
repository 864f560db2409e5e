import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { ApiClient, eventually, FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import {
  expectNoCspProblemsInEachTest,
  launchChromium,
  newWatchedPage,
  signInThroughPage,
  stopAll,
} from './portal-browser.test-support';
import { adminApi } from './portal-fixtures.test-support';

const repoRoot = resolve(__dirname, '..', '..', '..');
const DAYS = 3;
const PER_DAY = 20;
const DAY_MS = 86_400_000;

/** The audit lib's seeding script: DAYS days of chained events, ten days old, replacing the trail. */
async function seedOldTrail(node: FlotillaNode): Promise<void> {
  const firstDay = new Date(Math.floor((Date.now() - 10 * DAY_MS) / DAY_MS) * DAY_MS)
    .toISOString()
    .slice(0, 10);
  await promisify(execFile)(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      join(repoRoot, 'libs/audit/trail/src/archive/seed-archivable-trail.script.ts'),
      ...['--first-day', firstDay, '--days', String(DAYS), '--per-day', String(PER_DAY), '--replace'],
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json'),
        FLOTILLA_DB_DIALECT: node.dialect,
        FLOTILLA_DB_URL: node.databaseUrl,
      },
    },
  );
}

/**
 * The audit archives page in real Chromium against a real node (portal built, strict CSP): each
 * archived day with its count and chain numbers, the retention shown and changed by an
 * administrator, and a refused value explained.
 */
describe('The audit archives page (browser)', () => {
  let node: FlotillaNode;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  expectNoCspProblemsInEachTest(problems);

  beforeAll(async () => {
    node = await startFlotillaNode({ portal: true, env: { FLOTILLA_AUDIT_ARCHIVE_INTERVAL_MS: '500' } });
    api = await adminApi(node);
    await seedOldTrail(node);
    expect((await api.put('/api/events/retention', { days: 2 })).status).toBe(200);
    await eventually(
      async () => {
        const listed = await api.get<{ items: unknown[] }>('/api/events/archives');
        return listed.body.items.length === DAYS ? true : undefined;
      },
      60_000,
      `${DAYS} days archived`,
    );
    browser = await launchChromium();
    page = await newWatchedPage(browser, problems);
    await signInThroughPage(page, node.baseUrl, node.adminUsername, node.adminPassword);
    await page.getByTestId('nav-audit-archives').click();
    await page.waitForURL(/\/audit-archives$/);
  }, 600_000);

  afterAll(() => stopAll(browser, node), 60_000);

  it('lists each archived day once with its count and chain numbers, and shows the retention', async () => {
    await page.getByTestId('audit-archives-table').waitFor();
    const rows = (await page.getByTestId('audit-archive-row').allTextContents()).map((text) =>
      text.replace(/\s+/g, ' ').trim(),
    );
    expect(rows).toHaveLength(DAYS);
    rows.forEach((row, index) =>
      expect(row).toContain(`${PER_DAY} #${index * PER_DAY + 1}–#${(index + 1) * PER_DAY}`),
    );
    expect(await page.getByTestId('audit-retention').textContent()).toContain('2 days');
  });

  it('lets an administrator change the retention, and says why less than a day is refused', async () => {
    await page.getByTestId('audit-retention-days').fill('0');
    await page.getByTestId('audit-retention-save').click();
    await page.getByTestId('audit-archives-error').waitFor();
    expect(await page.getByTestId('audit-archives-error').textContent()).toContain(
      'retention must be a whole number of days',
    );
    await page.getByTestId('audit-retention-days').fill('120');
    await Promise.all([
      page.waitForResponse((response) => response.url().endsWith('/api/events/retention') && response.ok()),
      page.getByTestId('audit-retention-save').click(),
    ]);
    await page.waitForFunction(() => document.body.textContent?.includes('120 days'));
    expect((await api.get<{ days: number }>('/api/events/retention')).body.days).toBe(120);
  });
});
