import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Browser, Page } from 'playwright-core';

import { launchChromium, newWatchedPage, signInThroughPage, stopAll } from './portal-browser.test-support';
import { adminApi, Identified } from './portal-fixtures.test-support';
import { pageUrl, portalPages } from './portal-routes';

/**
 * Every portal page, as the router declares it, in real Chromium against a real node serving the
 * built portal with the gateway's headers: no page may trip the Content-Security-Policy, the live
 * log must stream without the session token in any URL, and no page can be framed.
 */
describe('Portal under its Content-Security-Policy (browser)', () => {
  let node: FlotillaNode;
  let browser: Browser;
  let page: Page;
  /** CSP violations, CSP console reports and uncaught errors, as `url: what`. */
  const problems: string[] = [];
  const requestedUrls: string[] = [];
  const samples: Record<string, string> = {};

  beforeAll(async () => {
    node = await startFlotillaNode({ portal: true });
    browser = await launchChromium();
    // Something on every page: a project, and a task with a log (its page follows the live log).
    const api = await adminApi(node);
    const environment = await api.post<Identified>('/api/environments', { name: 'Csp' });
    const project = await api.post<Identified>('/api/projects', { name: 'Csp Web' });
    await api.put(`/api/projects/${project.body.id}/deploymentprocess`, {
      steps: [{ name: 'Hello', actionType: 'run-script', properties: { scriptBody: 'echo "Hello CSP"' } }],
      retryable: false,
    });
    const release = await api.post<Identified>(`/api/projects/${project.body.id}/releases`, {
      version: '1.0.0',
      packages: [],
    });
    const deployment = await api.post<{ taskId: string }>('/api/deployments', {
      releaseId: release.body.id,
      environmentId: environment.body.id,
    });
    expect(deployment.status).toBe(201);
    samples['projectId'] = project.body.id;
    samples['taskId'] = deployment.body.taskId;
  }, 300_000);

  afterAll(() => stopAll(browser, node));

  beforeEach(async () => {
    problems.length = 0;
    requestedUrls.length = 0;
    page = await newWatchedPage(browser, problems);
    page.on('request', (request) => requestedUrls.push(request.url()));
  });

  afterEach(async () => {
    await page.context().close();
  });

  it('opens every page of the router without a single violation', async () => {
    const pages = portalPages();
    expect(pages.map((candidate) => candidate.path)).toEqual(
      expect.arrayContaining(['/sign-in', '/projects', '/tasks/:taskId']),
    );

    await signInThroughPage(page, node.baseUrl, node.adminUsername, node.adminPassword);

    const visited: string[] = [];
    for (const portalPage of pages) {
      const url = `${node.baseUrl}${pageUrl(portalPage, samples)}`;
      await page.goto(url);
      if (portalPage.title) await page.waitForFunction((title) => document.title === title, portalPage.title);
      else await page.locator('flotilla-root *').first().waitFor();
      if (portalPage.path === '/tasks/:taskId') {
        // The live log streams (through a stream ticket) until the task's last line.
        await page.getByTestId('log-line').filter({ hasText: 'Hello CSP' }).waitFor({ timeout: 90_000 });
      }
      // Lazy chunks and their component styles land after the title; give them their turn.
      await page.waitForLoadState('load');
      await page.waitForTimeout(300);
      visited.push(`${portalPage.path} -> ${page.url()}`);
    }
    expect(problems).toEqual([]);
    expect(visited).toHaveLength(pages.length);

    // The session token never travels in a URL; the live log opened with a ticket instead.
    const token = await page.evaluate(() => sessionStorage.getItem('flotilla.session-token'));
    expect(token).toBeTruthy();
    expect(requestedUrls.filter((url) => url.includes(encodeURIComponent(token ?? '')))).toEqual([]);
    expect(requestedUrls.filter((url) => url.includes('access_token'))).toEqual([]);
    expect(requestedUrls.some((url) => /\/log\/stream\?ticket=/.test(url))).toBe(true);
  }, 240_000);

  it('notices a violation when one happens (the check above can fail)', async () => {
    await page.goto(`${node.baseUrl}/sign-in`);
    await page.getByTestId('login-form').waitFor();
    await page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { outline: 1px solid red; }';
      document.head.append(style);
      const image = document.createElement('img');
      image.src = 'https://example.invalid/pixel.png';
      document.body.append(image);
    });
    await page.waitForTimeout(300);
    const seen = problems.join('\n');
    expect(seen).toMatch(/style-src/);
    expect(seen).toMatch(/img-src/);
  });

  it('shows the API docs (Swagger UI) under their own policy without a violation', async () => {
    await page.goto(`${node.baseUrl}/api/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    await page.locator('.opblock').first().waitFor();
    await page.waitForTimeout(300);
    expect(problems).toEqual([]);
  });

  describe('framed by another site', () => {
    let hostile: Server;
    let hostileUrl: string;
    const targets = ['/', '/projects', '/api/docs', '/api/health/ping'];

    beforeAll(async () => {
      hostile = createServer((request, response) => {
        response.setHeader('Content-Type', 'text/html');
        if (request.url === '/control') {
          response.end('<p>a frameable page</p>');
          return;
        }
        const frames = targets.map(
          (target, index) => `<iframe id="f${index}" src="${node.baseUrl}${target}"></iframe>`,
        );
        // The control shows the test would see a frame that did load.
        response.end(`${frames.join('')}<iframe id="control" src="/control"></iframe>`);
      });
      await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
      hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
    });

    afterAll(async () => {
      await new Promise((resolve) => hostile?.close(resolve));
    });

    it('is refused on every kind of page', async () => {
      const refusals: string[] = [];
      page.on('console', (message) => {
        if (/frame-ancestors|X-Frame-Options/i.test(message.text())) refusals.push(message.text());
      });
      const frameUrl = async (id: string) => (await (await page.$(`#${id}`))?.contentFrame())?.url() ?? '';
      await page.goto(hostileUrl, { waitUntil: 'load' });
      await expect(
        poll(
          () => frameUrl('control'),
          (url) => url === `${hostileUrl}control`,
        ),
      ).resolves.toBe(`${hostileUrl}control`);
      expect(
        await poll(
          () => Promise.resolve(refusals.length),
          (count) => count >= targets.length,
        ),
      ).toBeGreaterThanOrEqual(targets.length);
      for (const [index, target] of targets.entries()) {
        // A refused frame holds Chromium's error page (or nothing yet), never the gateway's document.
        const url = await frameUrl(`f${index}`);
        expect({ target, loaded: url.startsWith(node.baseUrl) }).toEqual({ target, loaded: false });
      }
      expect(refusals.every((refusal) => refusal.includes("frame-ancestors 'none'"))).toBe(true);
    });
  });
});

/** Asks `read` every 100 ms until `done` holds or 10 s passed; answers the last value read. */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
