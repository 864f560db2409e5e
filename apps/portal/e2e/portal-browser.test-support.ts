import { Browser, chromium, Page } from 'playwright-core';

/**
 * What every portal browser test shares: Chromium as this machine runs it, a fresh page watched
 * for Content-Security-Policy problems, and signing in through the sign-in page as a person does.
 */

/** Chromium from the distribution (playwright-core downloads none); headless, no sandbox in CI containers. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Console lines in which Chromium reports a blocked load, style, script or frame. */
export const CSP_CONSOLE =
  /content security policy|trusted type|refused to (load|apply|execute|frame|connect)/i;

/**
 * Violation events from every document, reported through the `reportCspViolation` binding (it
 * survives navigations). Runs in the page, so it may use nothing from this module.
 */
export function reportViolations(): void {
  document.addEventListener('securitypolicyviolation', (event) => {
    const report = (window as unknown as { reportCspViolation?: (text: string) => void }).reportCspViolation;
    report?.(
      `${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'} at ${event.sourceFile}:${event.lineNumber} ${event.sample}`,
    );
  });
}

export interface WatchedPageOptions {
  /** Each locator's and navigation's timeout; a node beside Samba AD on a busy machine wants more. */
  defaultTimeoutMs?: number;
  /** Grant clipboard read and write to this origin (the API keys page copies a secret). */
  clipboardOrigin?: string;
}

/**
 * A page in a fresh browser context (its own sessionStorage, so its own session), every CSP
 * violation, CSP console report and uncaught error it meets pushed onto `problems` as
 * `url: what`. Close it with `page.context().close()`.
 */
export async function newWatchedPage(
  browser: Browser,
  problems: string[],
  options: WatchedPageOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (options.clipboardOrigin) {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: options.clipboardOrigin,
    });
  }
  await context.exposeBinding('reportCspViolation', ({ page }, text: string) =>
    problems.push(`${page.url()}: ${text}`),
  );
  await context.addInitScript(reportViolations);
  const page = await context.newPage();
  page.setDefaultTimeout(options.defaultTimeoutMs ?? 20_000);
  page.on('console', (message) => {
    if (CSP_CONSOLE.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: uncaught ${error.message}`));
  return page;
}

/**
 * Registers jest hooks around each test of the calling `describe`: `problems` starts empty and
 * must still be empty after the test (every page it opened ran under the CSP without a violation).
 */
export function expectNoCspProblemsInEachTest(problems: string[]): void {
  beforeEach(() => {
    problems.length = 0;
  });
  afterEach(() => {
    expect(problems).toEqual([]);
  });
}

/** Fills the sign-in form already on the page and submits it; waits for nothing after. */
export async function submitSignInForm(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** Opens the sign-in page, signs in and waits for the projects list every session lands on. */
export async function signInThroughPage(
  page: Page,
  baseUrl: string,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await submitSignInForm(page, username, password);
  await page.waitForURL(/\/projects$/);
}

/** Something a test started and must stop: a node, a Samba AD DC, a browser. */
type Stoppable = { stop(): Promise<unknown> } | { close(): Promise<unknown> } | undefined;

/**
 * Stops each in the order given (the browser before the node, the node before the DC it signs in
 * to), skipping what never started; a failure to stop one does not leave the others running.
 */
export async function stopAll(...started: Stoppable[]): Promise<void> {
  const failures: unknown[] = [];
  for (const each of started) {
    try {
      if (each && 'stop' in each) await each.stop();
      else if (each) await each.close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
