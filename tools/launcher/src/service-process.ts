import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { NodeServiceName } from '@flotilla/cluster/protocol';

const RESTART_DELAY_MS = 1000;
const MAX_RAPID_RESTARTS = 5;

/**
 * Runs one service as its own OS process, prefixes its output, and restarts it when it dies
 * unexpectedly (a crash loop of more than MAX_RAPID_RESTARTS within a minute gives up loudly).
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts: number[] = [];

  constructor(
    readonly name: NodeServiceName,
    private readonly repoRoot: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly onGiveUp: (name: NodeServiceName) => void,
  ) {}

  start(): void {
    const entry = join(this.repoRoot, 'apps', this.name, 'src', 'main.ts');
    const child = spawn(process.execPath, ['-r', '@swc-node/register', entry], {
      cwd: this.repoRoot,
      env: { ...this.env, SWC_NODE_PROJECT: join(this.repoRoot, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) =>
        process.stdout.write(`[${this.name}] ${line}\n`),
      );
    }
    child.once('exit', (code, signal) => {
      this.child = undefined;
      if (this.stopping) return;
      const now = Date.now();
      this.restarts = [...this.restarts.filter((at) => now - at < 60_000), now];
      if (this.restarts.length > MAX_RAPID_RESTARTS) {
        process.stdout.write(`[launcher] ${this.name} keeps failing (exit ${code ?? signal}); giving up\n`);
        this.onGiveUp(this.name);
        return;
      }
      process.stdout.write(`[launcher] ${this.name} exited (${code ?? signal}); restarting\n`);
      setTimeout(() => this.start(), RESTART_DELAY_MS);
    });
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
