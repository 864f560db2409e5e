import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';

import type { FlotillaCluster } from '@flotilla/testing';

const repoRoot = resolve(__dirname, '..', '..', '..');

/** One archive as GET /api/events/archives lists it. */
export interface ListedArchive {
  day: string;
  file: string;
  count: number;
  firstSequence: number | null;
  lastSequence: number | null;
  sha256: string;
  createdAt: string;
}

/**
 * The cluster's PKI folder: the run's (FLOTILLA_PKI_DIR, which the cluster inherits under jest),
 * else tools/cluster's own beside the shared folder.
 */
export function clusterPkiDir(cluster: FlotillaCluster): string {
  return process.env['FLOTILLA_PKI_DIR'] ?? join(dirname(cluster.sharedStorage), 'pki');
}

/** Runs a repository script with swc (as npm scripts do); resolves with its output, rejects on failure. */
export function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<string> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(repoRoot, script), ...args], {
      cwd: repoRoot,
      env: { ...process.env, SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', rejectRun);
    child.once('exit', (code) =>
      code === 0
        ? resolveRun(output)
        : rejectRun(Object.assign(new Error(`${script} exited ${code}:\n${output}`), { code, output })),
    );
  });
}

/**
 * Replaces the cluster's trail with `days` days of `perDay` events recorded from `firstDay` on,
 * chained with the cluster's key (the audit lib's seeding script, under the chain lock).
 */
export async function seedOldTrail(
  cluster: FlotillaCluster,
  shape: { firstDay: string; days: number; perDay: number },
): Promise<void> {
  await runScript(
    'libs/audit/trail/src/archive/seed-archivable-trail.script.ts',
    [
      '--first-day',
      shape.firstDay,
      '--days',
      String(shape.days),
      '--per-day',
      String(shape.perDay),
      '--replace',
    ],
    {
      FLOTILLA_DB_DIALECT: cluster.dialect,
      FLOTILLA_DB_URL: cluster.databaseUrl,
      FLOTILLA_PKI_DIR: clusterPkiDir(cluster),
    },
  );
}

/** `npm run audit:verify -- <target> --public-key <checkpoint.pub>`: its exit code and output. */
export async function verifyOffline(
  target: string,
  publicKey: string,
): Promise<{ code: number; output: string }> {
  try {
    return {
      code: 0,
      output: await runScript('tools/audit-verify/src/main.ts', [target, '--public-key', publicKey], {}),
    };
  } catch (error) {
    const failed = error as { code?: number; output?: string };
    return { code: failed.code ?? -1, output: failed.output ?? String(error) };
  }
}
