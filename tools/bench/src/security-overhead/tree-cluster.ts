import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { trustPublicCertificate } from '@flotilla/testing';

import type { HeldCluster, HolderMessage, HolderRequest } from './cluster-holder';

/** Where addWorktree copies cluster-holder.ts into each tree. */
export const HOLDER_IN_TREE = 'tools/bench/src/security-overhead-cluster-holder.ts';
export const HOLDER_SOURCE = join(__dirname, 'cluster-holder.ts');

/** A running cluster of one tree, held by a child process in that tree. */
export interface TreeCluster extends HeldCluster {
  /** The holder's output and the cluster's (for failure messages). */
  logFile: string;
  stop(): Promise<void>;
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-count).join('\n');
  } catch {
    return '(no output)';
  }
}

/**
 * Starts the holder in `treeDir` (its own process group, so a Ctrl-C reaches only the benchmark,
 * which then stops the holders in order) and resolves once its cluster is ready. A failed start
 * leaves nothing running.
 */
export function startTreeCluster(
  treeDir: string,
  request: HolderRequest,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<TreeCluster> {
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['-r', '@swc-node/register', HOLDER_IN_TREE, JSON.stringify(request)], {
      cwd: treeDir,
      env: { ...env, SWC_NODE_PROJECT: 'tsconfig.base.json' },
      stdio: ['ignore', log, log, 'ipc'],
      detached: true,
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send('stop');
      else child.kill('SIGTERM');
      // The cluster's own stop has a 15 s SIGKILL fallback per node; past that the holder is stuck.
      const stuck = setTimeout(() => child.kill('SIGKILL'), 120_000);
      await exited;
      clearTimeout(stuck);
    }
  };
  return new Promise<TreeCluster>((resolve, reject) => {
    let failed = false;
    // The first reason given is the one to show (the holder's exit follows its 'failed' message).
    const fail = (why: string): void => {
      if (failed) return;
      failed = true;
      void stop().then(() =>
        reject(new Error(`${why}\n--- ${logFile} (last lines) ---\n${lastLines(logFile, 60)}`)),
      );
    };
    child.once('message', (message: HolderMessage) => {
      if (message.type === 'ready') {
        // An HTTPS cluster's self-signed certificate is trusted for its origin alone.
        if (message.cluster.publicCertificatePem)
          trustPublicCertificate(message.cluster.baseUrl, message.cluster.publicCertificatePem);
        resolve({ ...message.cluster, logFile, stop });
      } else fail(`cluster of ${treeDir} failed to start: ${message.error.split('\n')[0]}`);
    });
    child.once('error', (error) => fail(`cluster holder of ${treeDir}: ${error.message}`));
    void exited.then(() => fail(`cluster holder of ${treeDir} exited before its cluster was ready`));
  });
}
