import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

import { LineSplitter } from './line-splitter';

export interface ProcessGroupOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal: AbortSignal;
  /** `cutChars`: characters of an overlong line left out (see maxLineChars). */
  onStdoutLine: (line: string, cutChars: number) => void;
  onStderrLine: (line: string, cutChars: number) => void;
  /** At most this much of one output line is kept in memory; the rest is only counted. */
  maxLineChars?: number;
  /** Run as this OS user and group (the executor must be root to switch). */
  uid?: number;
  gid?: number;
  /** Between SIGTERM and SIGKILL of the group. */
  killGraceMs?: number;
}

export type ProcessGroupResult =
  | { reason: 'exited'; exitCode: number; signal: NodeJS.Signals | null }
  | { reason: 'timedOut' | 'aborted' };

/** After the main process exits, how long its output may still drain (a background child may hold the pipe). */
const OUTPUT_DRAIN_MS = 500;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs a command as the leader of its own process group, so a timeout or cancellation can kill
 * everything it started (SIGTERM, then SIGKILL after a grace period), not just the shell.
 */
export function runInProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroupResult> {
  return new Promise<ProcessGroupResult>((resolve, reject) => {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      // libuv also drops the supplementary groups when it switches user.
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = new LineSplitter(options.onStdoutLine, options.maxLineChars);
    const stderr = new LineSplitter(options.onStderrLine, options.maxLineChars);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

    let stopReason: 'timedOut' | 'aborted' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (reason: 'timedOut' | 'aborted'): void => {
      if (stopReason || child.pid === undefined) return;
      stopReason = reason;
      const pgid = child.pid;
      killGroup(pgid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pgid, 'SIGKILL'), options.killGraceMs ?? 3000);
    };
    const timeout = setTimeout(() => stop('timedOut'), options.timeoutMs);
    const onAbort = (): void => stop('aborted');
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });

    child.once('error', (error) => {
      clearTimeout(timeout);
      options.signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('exit', (exitCode, signal) => {
      clearTimeout(timeout);
      options.signal.removeEventListener('abort', onAbort);
      void drainOutput(child.stdout, child.stderr).then(() => {
        stdout.end();
        stderr.end();
        if (stopReason) {
          // The shell is gone; make sure nothing it started outlives the step.
          if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
          if (killTimer) clearTimeout(killTimer);
          resolve({ reason: stopReason });
        } else {
          resolve({ reason: 'exited', exitCode: exitCode ?? 128, signal });
        }
      });
    });
  });
}

/** Waits for both pipes to close, but not for a background process that keeps them open. */
function drainOutput(...streams: Readable[]): Promise<void> {
  return new Promise((resolve) => {
    const stillOpen = streams.filter((stream) => !stream.closed);
    let open = stillOpen.length;
    if (open === 0) return resolve();
    const timer = setTimeout(() => {
      for (const stream of streams) stream.destroy();
      resolve();
    }, OUTPUT_DRAIN_MS);
    for (const stream of stillOpen) {
      stream.once('close', () => {
        open -= 1;
        if (open === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}
