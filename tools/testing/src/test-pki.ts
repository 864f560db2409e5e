import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

// A relative path: jest loads its global setup (which uses this file) without the path aliases.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { DEFAULT_IDENTITIES, ensureClusterPki } from '../../../libs/platform/pki/src';

/** Every identity tests present: the services, the tools, and 'test-client' for test code itself. */
export const TEST_PKI_IDENTITIES: readonly string[] = [...DEFAULT_IDENTITIES, 'test-client'];

/**
 * Nodes whose certificates the global setup makes up front: the jest process's own (specs that
 * serve or call gRPC in-process use the hostname, as the product does with no FLOTILLA_NODE_NAME)
 * and the fixed names specs give the node they play (FLOTILLA_NODE_NAME in their config). Nodes named at run time (test-node-<port>, cluster
 * nodes) get theirs from ensureTestNodeCertificates when they start.
 */
const FIXED_TEST_NODES = [
  hostname(),
  'gateway-test-node',
  'storage-test-node',
  'headers-test-node',
  'node-ha',
  'node-test',
  'node-paused',
  'wrong-key-node',
  'wire-node',
];

/** Tests look for rotated certificates often, so a rotation test does not wait 5 s per phase. */
export const TEST_PKI_REFRESH_MS = 250;

/** Makes the run's PKI (one CA for every test) and points FLOTILLA_PKI_DIR at it for every worker. */
export async function createTestPki(): Promise<string> {
  let dir = process.env['FLOTILLA_PKI_DIR'];
  if (!dir) {
    const parent = mkdtempSync(join(tmpdir(), 'flotilla-test-pki-'));
    (globalThis as { flotillaTestPki?: string }).flotillaTestPki = parent;
    dir = join(parent, 'pki');
  }
  await ensureClusterPki(dir, FIXED_TEST_NODES, TEST_PKI_IDENTITIES);
  process.env['FLOTILLA_PKI_DIR'] = dir;
  process.env['FLOTILLA_PKI_REFRESH_MS'] ??= String(TEST_PKI_REFRESH_MS);
  return dir;
}

/** The run's PKI folder (set by the jest global setup). */
export function testPkiDir(): string {
  const dir = process.env['FLOTILLA_PKI_DIR'];
  if (!dir)
    throw new Error(
      'FLOTILLA_PKI_DIR is not set: run tests through jest (its global setup makes the test PKI)',
    );
  return dir;
}

/** Certificates for nodes a test starts under a name of its own (safe from parallel workers). */
export async function ensureTestNodeCertificates(...nodes: string[]): Promise<string> {
  const dir = testPkiDir();
  await ensureClusterPki(dir, nodes, TEST_PKI_IDENTITIES);
  return dir;
}

/** Removes the PKI the global setup made (not one the caller gave through FLOTILLA_PKI_DIR). */
export function removeTestPki(): void {
  const parent = (globalThis as { flotillaTestPki?: string }).flotillaTestPki;
  if (parent) rmSync(parent, { recursive: true, force: true });
}
