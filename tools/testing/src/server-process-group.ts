import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client } from 'ldapts';

import { processGroupAlive } from './process-group';

/**
 * What the directory test servers (Samba AD DC, OpenLDAP slapd) do alike with their process: run
 * it as the leader of a process group of its own, wait for its first LDAP bind, and end the whole
 * group (also when the test process exits without stopping it), removing the server's folder.
 */

const SETPRIV = '/usr/bin/setpriv';

async function bindSucceeds(url: string, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
  try {
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * SIGTERM to the whole group, SIGKILL after 5 s; returns when no process of the group runs.
 * SIGCONT first: a suspended server (SambaAd.suspend()) would not act on SIGTERM.
 */
async function stopGroup(child: ChildProcess, pgid: number): Promise<void> {
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, name);
    } catch {
      // the group is gone
    }
  };
  signal('SIGCONT');
  signal('SIGTERM');
  const deadline = Date.now() + 5000;
  while (processGroupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (processGroupAlive(pgid)) signal('SIGKILL');
  while (processGroupAlive(pgid)) await sleep(50);
  child.stdout?.destroy();
  child.stderr?.destroy();
}

interface RunningServer {
  readonly pgid: number;
  readonly dir: string;
  readonly release: () => void;
}

/** Servers started and not stopped yet, killed if the test process exits without stopping them. */
const running = new Set<RunningServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous only: nothing asynchronous runs after 'exit'.
  process.once('exit', () => {
    for (const server of running) {
      try {
        process.kill(-server.pgid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(server.dir, { recursive: true, force: true });
      server.release();
    }
  });
}

/** A server process spawned as the leader of a process group of its own. */
export class ServerProcessGroup {
  private exited: number | NodeJS.Signals | null | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.once('exit', (code, signal) => (this.exited = code ?? signal));
  }

  /**
   * Spawns `commandLine` in a group of its own (so stopping it ends whatever it forks too),
   * handing everything it writes to `onOutput`. setpriv, where there is one, execs it with a
   * parent-death signal: a jest worker killed outright (no 'exit' event, so no exit hook) takes
   * its servers with it instead of leaving them running.
   */
  static spawn(commandLine: readonly string[], onOutput: (chunk: Buffer) => void): ServerProcessGroup {
    const [command, ...args] = existsSync(SETPRIV)
      ? [SETPRIV, '--pdeathsig', 'KILL', ...commandLine]
      : commandLine;
    if (command === undefined) throw new Error('ServerProcessGroup.spawn needs a command');
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    return new ServerProcessGroup(child);
  }

  /** undefined while it runs; once it has exited, its exit code or else the signal that ended it. */
  exitedWith(): number | NodeJS.Signals | null | undefined {
    return this.exited;
  }

  /**
   * Tries a simple bind every 100 ms until one succeeds (the server is ready: listening is not
   * enough, the directory must answer), the server exits, or `withinMs` has passed.
   */
  async awaitFirstBind(
    url: string,
    account: { dn: string; password: string },
    withinMs: number,
  ): Promise<'answered' | 'exited' | 'timed out'> {
    const deadline = Date.now() + withinMs;
    while (!(await bindSucceeds(url, account.dn, account.password))) {
      if (this.exited !== undefined) return 'exited';
      if (Date.now() > deadline) return 'timed out';
      await sleep(100);
    }
    return 'answered';
  }

  /**
   * For a server that answered: from now on the group is ended, its folder `dir` removed and
   * `release` run (whatever else it holds, e.g. its loopback address) either by the returned
   * stop(), which is safe to call twice, or when the test process exits.
   */
  keepUntilStopped(
    dir: string,
    release: () => void = () => undefined,
  ): { readonly pgid: number; readonly stop: () => Promise<void> } {
    const pgid = this.child.pid;
    if (pgid === undefined) throw new Error('the server process has no pid (it did not spawn)');
    const server: RunningServer = { pgid, dir, release };
    running.add(server);
    installExitHook();
    return {
      pgid,
      stop: async () => {
        if (!running.delete(server)) return;
        await stopGroup(this.child, pgid);
        await rm(dir, { recursive: true, force: true });
        server.release();
      },
    };
  }

  /** Ends the group now (a server that did not start as it should); its folder is the caller's. */
  async stop(): Promise<void> {
    if (this.child.pid !== undefined) await stopGroup(this.child, this.child.pid);
  }
}
