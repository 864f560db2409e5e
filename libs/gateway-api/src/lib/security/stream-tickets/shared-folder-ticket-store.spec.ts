import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SharedFolderTicketStore } from './shared-folder-ticket-store';
import { STREAM_TICKET_TTL_MS } from './stream-ticket';

const RECORD = {
  purpose: 'task-log' as const,
  resourceId: 'ServerTasks-1',
  userId: 'u-1',
  username: 'ada',
  displayName: 'Ada',
  permissions: ['TaskView'],
};

describe('SharedFolderTicketStore (real files)', () => {
  let root: string;
  let folder: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-ticket-store-'));
    folder = join(root, 'StreamTickets');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('redeems a ticket once, with the record it was minted for', async () => {
    const store = new SharedFolderTicketStore(folder);
    const { ticket, expiresAt } = await store.mint(RECORD);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    await expect(store.redeem(ticket)).resolves.toEqual({ ...RECORD, expiresAt });
    await expect(store.redeem(ticket)).resolves.toBeUndefined();
  });

  it("keeps the minting user's scoped grants, and refuses a record whose grants are not grants", async () => {
    const store = new SharedFolderTicketStore(folder);
    const scoped = {
      ...RECORD,
      grants: [{ permissions: ['TaskView' as const], projectIds: ['p-1'], environmentIds: [] }],
    };
    const { ticket, expiresAt } = await store.mint(scoped);
    await expect(store.redeem(ticket)).resolves.toEqual({ ...scoped, expiresAt });

    const tampered = await store.mint(scoped);
    const [file] = (await readdir(folder)).map((name) => join(folder, name));
    const stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...stored, grants: [{ projectIds: ['p-1'] }] }));
    await expect(store.redeem(tampered.ticket)).resolves.toBeUndefined();
  });

  it('refuses an expired ticket, and spends it so a turned-back clock cannot use it', async () => {
    const store = new SharedFolderTicketStore(folder);
    const start = Date.now();
    store.now = () => start;
    const { ticket } = await store.mint(RECORD);
    store.now = () => start + STREAM_TICKET_TTL_MS;
    await expect(store.redeem(ticket)).resolves.toBeUndefined();
    store.now = () => start;
    await expect(store.redeem(ticket)).resolves.toBeUndefined();
  });

  it('lets exactly one of many nodes racing to redeem the same ticket have it', async () => {
    const { ticket } = await new SharedFolderTicketStore(folder).mint(RECORD);
    const nodes = Array.from({ length: 8 }, () => new SharedFolderTicketStore(folder));
    const results = await Promise.all(nodes.map((node) => node.redeem(ticket)));
    expect(results.filter((record) => record !== undefined)).toHaveLength(1);
    expect(await readdir(folder)).toEqual([]);
  });

  it('keeps records readable by the services only, named by a hash of the ticket', async () => {
    const { ticket } = await new SharedFolderTicketStore(folder).mint(RECORD);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    const [name] = await readdir(folder);
    expect(name).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(name).not.toContain(ticket);
    expect((await stat(join(folder, name))).mode & 0o777).toBe(0o600);
  });

  it('sweeps tickets that were never used, long after they expired', async () => {
    await new SharedFolderTicketStore(folder).mint(RECORD);
    const [abandoned] = await readdir(folder);
    const longAgo = new Date(Date.now() - 10 * STREAM_TICKET_TTL_MS);
    await utimes(join(folder, abandoned), longAgo, longAgo);
    // Another node (its own first mint sweeps).
    const later = new SharedFolderTicketStore(folder);
    const { ticket } = await later.mint(RECORD);
    // The sweep runs beside the mint; give it its turn on the file system.
    for (let attempt = 0; attempt < 50 && (await readdir(folder)).length > 1; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await readdir(folder)).toHaveLength(1);
    await expect(later.redeem(ticket)).resolves.toMatchObject({ userId: 'u-1' });
  });

  it('refuses malformed tickets without touching the file system', async () => {
    const store = new SharedFolderTicketStore(join(root, 'never-created'));
    for (const ticket of ['', 'short', '../../../etc/passwd', `${'a'.repeat(43)}/`, 'a'.repeat(44)]) {
      await expect(store.redeem(ticket)).resolves.toBeUndefined();
    }
  });
});
