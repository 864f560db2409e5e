import { FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import {
  expectNoCspProblemsInEachTest,
  launchChromium,
  newWatchedPage,
  signInThroughPage,
  stopAll,
} from './portal-browser.test-support';
import { adminApi, createNamed } from './portal-fixtures.test-support';

/** More than one page of the portal's 50: the second page holds the rest. */
const ENVIRONMENTS = 60;
const PAGE_SIZE = 50;

/**
 * The audit page in real Chromium against a real node (portal built, strict CSP): the trail's
 * filters (action, client address or CIDR block, text in the details) and its keyset pages
 * (Older, Newer; no total is counted), with every event of the filter seen exactly once.
 */
describe('The audit page (browser)', () => {
  let node: FlotillaNode;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  expectNoCspProblemsInEachTest(problems);

  const rows = () => page.getByTestId('event-row');
  /** Each shown row's text, whitespace collapsed: unique per event (its details name the environment). */
  const shownRows = async () =>
    (await rows().allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
  const pageLabel = async () => ((await page.getByTestId('events-page').textContent()) ?? '').trim();

  /** Clicks and waits for the trail's answer to that click (the page shows it right after). */
  async function answered(click: () => Promise<void>): Promise<void> {
    await Promise.all([page.waitForResponse((response) => response.url().includes('/api/events?')), click()]);
    await page.waitForFunction(() => !document.body.textContent?.includes('Loading events'));
  }

  /** Fills the filters (the others cleared) and searches. */
  async function search(filters: { action?: string; clientIp?: string; text?: string }): Promise<void> {
    await page.getByTestId('events-action').fill(filters.action ?? '');
    await page.getByTestId('events-client-ip').fill(filters.clientIp ?? '');
    await page.getByTestId('events-text').fill(filters.text ?? '');
    await answered(() => page.getByTestId('events-search').click());
  }

  beforeAll(async () => {
    node = await startFlotillaNode({ portal: true });
    const api = await adminApi(node);
    for (let index = 1; index <= ENVIRONMENTS; index += 1)
      await createNamed(api, '/api/environments', `Audit env ${index}`);
    browser = await launchChromium();
    page = await newWatchedPage(browser, problems);
    await signInThroughPage(page, node.baseUrl, node.adminUsername, node.adminPassword);
    await page.getByTestId('nav-events').click();
    await page.waitForURL(/\/events$/);
  }, 600_000);

  afterAll(() => stopAll(browser, node), 60_000);

  it('pages a filter by cursor: Older to the rest, Newer back, every event once, no count', async () => {
    // The relay is asynchronous: search again until every environment's event is in the trail.
    for (const giveUpAt = Date.now() + 30_000; ; ) {
      await search({ action: 'environment.created' });
      await page
        .getByTestId('events-older')
        .click({ trial: true })
        .catch(() => undefined);
      if (!(await page.getByTestId('events-older').isDisabled())) break;
      if (Date.now() > giveUpAt) throw new Error('the trail never held a second page of environment.created');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await rows().count()).toBe(PAGE_SIZE);
    expect(await pageLabel()).toBe('Page 1');
    expect(await page.getByTestId('events-newer').isDisabled()).toBe(true);
    const first = await shownRows();

    await answered(() => page.getByTestId('events-older').click());
    expect(await pageLabel()).toBe('Page 2');
    expect(await rows().count()).toBe(ENVIRONMENTS - PAGE_SIZE);
    expect(await page.getByTestId('events-older').isDisabled()).toBe(true);
    const second = await shownRows();
    expect(new Set([...first, ...second]).size).toBe(ENVIRONMENTS);

    await answered(() => page.getByTestId('events-newer').click());
    expect(await pageLabel()).toBe('Page 1');
    expect(await shownRows()).toEqual(first);
  });

  it('filters by client address or CIDR block and by text in the details', async () => {
    // Every request of this test came from the loopback address.
    await search({ action: 'environment.created', clientIp: '127.0.0.0/8', text: '"name":"Audit env 7"' });
    expect(await rows().count()).toBe(1);
    expect(await rows().first().textContent()).toContain('environment.created');
    await search({ action: 'environment.created', clientIp: '10.0.0.0/8' });
    await page.getByText('No events match.').waitFor();
    await search({ clientIp: 'not an address' });
    expect(await page.getByRole('alert').textContent()).toContain('clientIp');
  });
});
