import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { caIds, PkiLayout } from '@flotilla/platform/pki';

import { runPkiCommand } from './pki-command';

describe('npm run pki', () => {
  let dir: string;
  let lines: string[];
  const io = () => ({
    log: (line: string) => void lines.push(line),
    sleep: () => Promise.resolve(),
    env: {},
  });
  const run = (...argv: string[]) => runPkiCommand([...argv, '--dir', join(dir, 'pki')], io());

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-pki-command-'));
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('inits, issues again, exports a node and rotates the CA through every phase', async () => {
    const layout = new PkiLayout(join(dir, 'pki'));
    await run('init', '--node', 'n1', '--node', 'n2');
    const firstCa = caIds(layout)[0];
    const before = readFileSync(layout.leaf('n1', 'auth').certificate, 'utf8');

    await run('issue', '--node', 'n1', '--identity', 'auth');
    expect(readFileSync(layout.leaf('n1', 'auth').certificate, 'utf8')).not.toBe(before);

    await run('export', '--node', 'n2', '--to', join(dir, 'n2'));
    expect(caIds(new PkiLayout(join(dir, 'n2')))).toEqual([]);

    await run('rotate-ca');
    const [onlyCa] = caIds(layout);
    expect(caIds(layout)).toHaveLength(1);
    expect(onlyCa).not.toBe(firstCa);
    const leaf = new X509Certificate(readFileSync(layout.leaf('n2', 'gateway').certificate));
    expect(leaf.checkIssued(new X509Certificate(readFileSync(layout.caCertificate(onlyCa))))).toBe(true);

    lines = [];
    await run('status');
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^  CA ${onlyCa} \\(signs\\) trusted`))]),
    );
    expect(lines.filter((line) => line.includes('(older CA)'))).toEqual([]);
  });

  it("names the socket it could not reach when swapping HAProxy's certificate", async () => {
    await run('init', '--node', 'load-balancer');
    const socket = join(dir, 'no-haproxy.sock');
    await expect(run('haproxy-cert', '--haproxy-socket', socket)).rejects.toThrow(
      `HAProxy's runtime API at ${socket}`,
    );
  });

  it('says how to use it on an unknown command or a missing node', async () => {
    await expect(run('frobnicate')).rejects.toThrow('npm run pki -- <command>');
    await expect(run('init')).rejects.toThrow('init needs --node');
    await expect(run('haproxy-cert')).rejects.toThrow('haproxy-cert needs --haproxy-socket');
  });
});
