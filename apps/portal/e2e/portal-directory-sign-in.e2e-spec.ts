import {
  ApiClient,
  FlotillaNode,
  SambaAd,
  sambaDirectoryEnvironment,
  SeededUser,
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

/**
 * What the sign-in page says for each directory refusal (sign-in-refusal.ts), written out here:
 * the test reads the page as a person does, so a change of wording is a change this test sees.
 */
const REFUSAL_TEXT = {
  locked:
    'Your account is locked out in the directory after too many failed sign-ins — wait for the lockout to end or contact your administrator.',
  expired: 'Your directory account has expired — contact your administrator.',
  disabled: 'Your account is disabled in the directory — contact your administrator.',
  mustChange:
    'Your directory password must be changed first — change it in Windows or your organisation’s password tool, then sign in again.',
} as const;
/** auth's codes for the same refusals (the 403's `error`, directory-refusal.ts). */
const REFUSAL_CODE = {
  locked: 'DirectoryAccountLocked',
  expired: 'DirectoryAccountExpired',
  disabled: 'DirectoryAccountDisabled',
  mustChange: 'DirectoryPasswordChangeRequired',
} as const;

/** `text` with its letters' case flipped one by one (aLiCe), so no form is typed as the DC stores it. */
function oddCase(text: string): string {
  return [...text]
    .map((letter, index) => (index % 2 === 0 ? letter.toLowerCase() : letter.toUpperCase()))
    .join('');
}

/**
 * Directory sign-in through the portal's sign-in page in real Chromium, against a real node (portal
 * built, strict CSP) whose auth signs in to a real Samba AD DC (seed 'basic'): the page names the
 * directory; `user`, `DOMAIN\user` and the UPN in odd letter case (also for a name with `#()` and
 * non-ASCII letters) open a session of one and the same Flotilla user; locked, expired, disabled and
 * must-change-password accounts and one outside the allowed groups (right password) each get a
 * message they can act on; a wrong password and an unknown name get the same generic message;
 * repeated failures, by any of one account's name forms, get the throttle's message with the time
 * to wait; a hung DC is never reported as a wrong password.
 */
describe('Directory sign-in page (browser, Samba AD)', () => {
  let ad: SambaAd;
  let node: FlotillaNode;
  let browser: Browser;
  const problems: string[] = [];

  const user = (key: string): SeededUser => {
    const seeded = ad.users[key];
    if (!seeded) throw new Error(`the basic seed has no user "${key}"`);
    return seeded;
  };

  /** A fresh browser session (its own sessionStorage), watched for CSP problems; Samba beside the node wants 30 s. */
  const newPage = () => newWatchedPage(browser, problems, { defaultTimeoutMs: 30_000 });

  /** Submits the sign-in form and returns the API's answer to it (status and body) as the page got it. */
  async function submitSignIn(
    page: Page,
    username: string,
    password: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    await page.goto(`${node.baseUrl}/sign-in`);
    const answer = page.waitForResponse(
      (response) => response.url().endsWith('/api/users/login') && response.request().method() === 'POST',
    );
    await submitSignInForm(page, username, password);
    const response = await answer;
    return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
  }

  /** Signs in through the page in a fresh session; returns the Flotilla user id the session belongs to. */
  async function signedInUserId(username: string, password: string): Promise<string> {
    const page = await newPage();
    const answer = await submitSignIn(page, username, password);
    expect({ username, status: answer.status }).toEqual({ username, status: 200 });
    await page.waitForURL(/\/projects$/);
    await page.getByTestId('current-user').waitFor();
    const id = (answer.body['user'] as { id?: string } | undefined)?.id;
    if (!id) throw new Error(`sign-in as ${username} answered no user id`);
    await page.context().close();
    return id;
  }

  /** Signs in through the page in a fresh session; returns the message it shows and the API's answer. */
  async function refusal(
    username: string,
    password: string,
  ): Promise<{ shown: string; status: number; code: unknown; apiMessage: unknown }> {
    const page = await newPage();
    const answer = await submitSignIn(page, username, password);
    const shown = ((await page.getByTestId('login-error').textContent()) ?? '').trim();
    // Still on the sign-in page, the form ready for another try.
    expect(page.url()).toMatch(/\/sign-in/);
    await page.getByTestId('login-username').waitFor();
    await page.context().close();
    return { shown, status: answer.status, code: answer.body['error'], apiMessage: answer.body['message'] };
  }

  beforeAll(async () => {
    ad = await startSambaAd({ seed: 'basic' });
    // Only members of flotilla-level-3 (alice and special, nested two levels down) may use Flotilla.
    const allowed = ad.groups['level3']?.dn;
    if (!allowed) throw new Error('the basic seed has no level3 group');
    node = await startFlotillaNode({
      portal: true,
      env: sambaDirectoryEnvironment(ad, { FLOTILLA_DIRECTORY_ALLOWED_GROUPS: allowed }),
    });
    browser = await launchChromium();
  }, 300_000);

  afterAll(() => stopAll(browser, node, ad));

  expectNoCspProblemsInEachTest(problems);

  it('names the directory and the name forms it takes', async () => {
    const page = await newPage();
    await page.goto(`${node.baseUrl}/sign-in`);
    const domain = ad.netbiosDomain.toUpperCase();
    await expect(page.getByTestId('login-directory').textContent()).resolves.toBe(
      `Sign in with your Active Directory account in ${domain} (name, ${domain}\\name or name@domain).`,
    );
    await page.context().close();
  });

  it('signs in by user, DOMAIN\\user and UPN in odd letter case, all as one Flotilla user', async () => {
    for (const key of ['alice', 'special']) {
      const seeded = user(key);
      const ids = new Set<string>();
      for (const name of [
        seeded.sam,
        oddCase(seeded.sam),
        `${ad.netbiosDomain.toLowerCase()}\\${oddCase(seeded.sam)}`,
        `${ad.netbiosDomain}\\${seeded.sam.toUpperCase()}`,
        oddCase(seeded.upn),
      ]) {
        ids.add(await signedInUserId(name, seeded.password));
      }
      expect({ key, users: ids.size }).toEqual({ key, users: 1 });
    }
    // The administrator sees one account per directory user, whatever name forms signed in.
    const admin = new ApiClient(node.baseUrl);
    expect((await admin.login(node.adminUsername, node.adminPassword)).status).toBe(200);
    const users = await admin.get<{ items: { username: string; source?: string }[] }>('/api/users');
    const directoryUsers = users.body.items.filter((account) => (account.source ?? 'local') !== 'local');
    expect(directoryUsers).toHaveLength(2);
  }, 240_000);

  it.each([
    ['a locked', 'locked'],
    ['an expired', 'expired'],
    ['a disabled', 'disabled'],
    ['a must-change-password', 'mustChange'],
  ] as const)(
    'tells %s directory account (right password) what to do',
    async (_label, key) => {
      const seeded = user(key);
      const answer = await refusal(`${ad.netbiosDomain}\\${seeded.sam}`, seeded.password);
      expect(answer).toMatchObject({ status: 403, code: REFUSAL_CODE[key], shown: REFUSAL_TEXT[key] });
    },
    60_000,
  );

  it('tells a directory user outside the allowed groups (right password) what to do', async () => {
    const carol = user('primary');
    const answer = await refusal(carol.upn, carol.password);
    expect(answer).toMatchObject({
      status: 403,
      code: 'DirectoryGroupNotAllowed',
      shown:
        'Your directory account is not in a group allowed to use Flotilla — ask your administrator to add you to one.',
    });
  }, 60_000);

  it('gives a wrong password and an unknown user the same generic message', async () => {
    const alice = user('alice');
    const wrongPassword = await refusal(alice.upn, `${alice.password}-wrong`);
    const unknownUser = await refusal(`nobody-${Date.now()}@${ad.realm.toLowerCase()}`, alice.password);
    const unknownDomainUser = await refusal(`${ad.netbiosDomain}\\no-such-person`, 'Some-Password-1');
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.shown).toBe(wrongPassword.apiMessage);
    expect(wrongPassword.shown).not.toBe('');
    // Same status, same code, same words from the API and on the page.
    expect(unknownUser).toEqual(wrongPassword);
    expect(unknownDomainUser).toEqual(wrongPassword);
    // Nothing in it says whether the name exists or which part was wrong.
    expect(wrongPassword.shown).not.toMatch(/unknown|not found|no such|does not exist/i);
  }, 60_000);

  it('shows the throttle message after repeated failures, counted across the name forms of one account', async () => {
    const bob = user('bob');
    const forms = [bob.sam, `${ad.netbiosDomain}\\${bob.sam.toUpperCase()}`, oddCase(bob.upn)];
    const generic = (await refusal(bob.sam, 'not-bobs-password-0')).shown;
    let last = { shown: generic, status: 401 };
    for (let attempt = 1; attempt <= 10 && last.status !== 429; attempt++) {
      const form = forms[attempt % forms.length] ?? bob.sam;
      last = await refusal(form, `not-bobs-password-${attempt}`);
      if (last.status !== 429) expect(last.shown).toBe(generic);
    }
    expect(last.status).toBe(429);
    expect(last.shown).toMatch(/^Too many failed sign-ins — try again in \d+ (minutes?|seconds)\.$/);
    // The right password waits too: the throttle judges before the directory is asked.
    await expect(refusal(bob.upn, bob.password)).resolves.toMatchObject({ status: 429 });
  }, 180_000);

  // Last: the frozen DC's cool-down outlives this test.
  it('never answers "wrong password" when the DC hangs, and a local account still signs in', async () => {
    const alice = user('alice');
    const generic = (await refusal(alice.upn, `${alice.password}-wrong`)).shown;
    ad.suspend();
    try {
      const answer = await refusal(alice.upn, alice.password);
      // Not a verdict on the password: 503 saying it is the directory, in the API's words on the page.
      expect(answer.status).toBe(503);
      expect(answer.shown).toBe(answer.apiMessage);
      expect(answer.shown).not.toBe(generic);
      expect(answer.shown).toMatch(/directory cannot be reached.*try again/i);
      const admin = await newPage();
      await expect(submitSignIn(admin, node.adminUsername, node.adminPassword)).resolves.toMatchObject({
        status: 200,
      });
      await admin.waitForURL(/\/projects$/);
      await admin.context().close();
    } finally {
      ad.resume();
    }
  }, 120_000);
});
