import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { NODE_SERVICES, NodeServiceName } from '@flotilla/cluster/protocol';
import { waitForPort } from '@flotilla/platform/net';
import { adminPasswordOnlyForAuth } from '@flotilla/auth';
import { masterKeyOnlyForOrchestrator } from '@flotilla/platform/secrets';

import type { GrpcServiceName } from './haproxy-config';
import { waitForPing } from './wait-for-ping';

export interface NodePorts {
  http: number;
  grpc: Record<GrpcServiceName, number>;
}

/** TEST ONLY: executors of these nodes hold every CompleteTask this long before sending it. */
export interface HoldCompletion {
  nodes: string[];
  holdMs: number;
}

/** TEST ONLY entry points a node's services may start through instead of apps/<service>. */
export interface TestEntryPoints {
  /** The orchestrator starts through its test entry point, trusting this licence public key file. */
  licenceKeyFile?: string;
  /** The executor starts through its test entry point holding each completion this long. */
  holdCompletionMs?: number;
}

/**
 * One cluster node: its six services as separate OS processes. Unlike tools/launcher it never
 * restarts a service that died — HA tests kill nodes on purpose and must see them stay down
 * until they call start() again.
 */
export class NodeProcesses {
  private readonly children = new Map<NodeServiceName, ChildProcess>();

  constructor(
    readonly name: string,
    readonly ports: NodePorts,
    private readonly env: NodeJS.ProcessEnv,
    private readonly repoRoot: string,
    private readonly log: (line: string) => void,
    private readonly testEntries: TestEntryPoints = {},
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  /** Process ids of the services running now. */
  pids(): number[] {
    return [...this.children.values()].flatMap((child) => (child.pid ? [child.pid] : []));
  }

  /** Process ids of the services running now, by service. */
  servicePids(): Record<string, number> {
    return Object.fromEntries(
      [...this.children].flatMap(([service, child]) => (child.pid ? [[service, child.pid]] : [])),
    );
  }

  /** Starts every service that is not running. */
  start(): void {
    for (const service of NODE_SERVICES) if (!this.children.has(service)) this.spawn(service);
  }

  /**
   * Resolves once every service serves: the gateway answers its ping (200, or 418 when a drain or
   * the licence keeps the node out of the pool) and every gRPC port accepts connections. Rejects
   * at once, naming it, if a service exits meanwhile (e.g. its port was taken): a node missing a
   * service must not pass for a started one.
   */
  async waitUntilServing(timeoutMs: number): Promise<void> {
    const missing = (): NodeServiceName[] => NODE_SERVICES.filter((service) => !this.children.has(service));
    let watching = true;
    const died = new Promise<never>((_, reject) => {
      const check = (): void => {
        if (!watching) return;
        const gone = missing();
        if (gone.length) reject(new Error(`${this.name}: ${gone.join(', ')} exited while starting`));
        else setTimeout(check, 250);
      };
      check();
    });
    try {
      await Promise.race([
        died,
        Promise.all([
          waitForPing(`${this.baseUrl}/api/health/ping`, [200, 418], timeoutMs),
          ...Object.values(this.ports.grpc).map((port) => waitForPort('127.0.0.1', port, timeoutMs)),
        ]),
      ]);
    } finally {
      watching = false;
    }
  }

  /** Sends a signal to every service (SIGKILL a node, SIGSTOP/SIGCONT to freeze it). */
  kill(signal: NodeJS.Signals): void {
    for (const child of this.children.values()) child.kill(signal);
  }

  /** SIGTERM (SIGCONT first, in case it was frozen), SIGKILL after the grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private entryOf(service: NodeServiceName): string[] {
    const { licenceKeyFile, holdCompletionMs } = this.testEntries;
    if (service === 'task-orchestrator' && licenceKeyFile)
      return [
        join(this.repoRoot, 'libs/orchestration/src/testing/orchestrator-test-main.ts'),
        licenceKeyFile,
      ];
    if (service === 'deployment-executor' && holdCompletionMs !== undefined)
      return [
        join(this.repoRoot, 'libs/execution/src/test-support/executor-holding-completion-main.ts'),
        String(holdCompletionMs),
      ];
    return [join(this.repoRoot, 'apps', service, 'src', 'main.ts')];
  }

  private spawn(service: NodeServiceName): void {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', ...this.entryOf(service)], {
      cwd: this.repoRoot,
      env: {
        // The master key to orchestrators alone, the admin password to auth alone.
        ...adminPasswordOnlyForAuth(service, masterKeyOnlyForOrchestrator(service, this.env)),
        SWC_NODE_PROJECT: join(this.repoRoot, 'tsconfig.base.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.set(service, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.log(`[${this.name}/${service}] ${line}`));
    }
    child.once('exit', (code, signal) => {
      if (this.children.get(service) === child) this.children.delete(service);
      this.log(`[cluster] ${this.name}/${service} exited (${code ?? signal})`);
    });
  }
}
