import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const repoRoot = resolve(__dirname, '..', '..', '..');

/**
 * A TypeScript entry point of this repository run in a child process (through @swc-node/register)
 * with an IPC channel: what it prints is kept line by line, and numbered requests are settled by
 * the replies it sends back (the message types are the caller's protocol). Used to drive
 * tools/cluster and the fault suite's restartable PostgreSQL from jest.
 */
export class IpcChild<Message, Reply = void> {
  readonly lines: string[] = [];
  /** Resolves when the child process has exited. */
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly lineListeners = new Set<(line: string) => void>();
  private readonly pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;

  /** `entry`: path from the repository root; `env`: the child's whole environment. */
  constructor(entry: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', join(repoRoot, entry), ...args], {
      cwd: repoRoot,
      env: { ...env, SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) => {
          this.lines.push(line);
          for (const listener of this.lineListeners) listener(line);
        });
    }
    this.exited = new Promise((resolveExit) => this.child.once('exit', () => resolveExit()));
    void this.exited.then(() => {
      const error = new Error(`${entry} exited:\n${this.tail(40)}`);
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  onMessage(handler: (message: Message) => void): void {
    this.child.on('message', handler);
  }

  /** Sends the message `build` makes with a fresh id; settle(id, ...) resolves or rejects it. */
  request(build: (id: number) => object): Promise<Reply> {
    return new Promise((resolveRequest, rejectRequest) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolveRequest, reject: rejectRequest });
      this.child.send(build(id));
    });
  }

  settle(id: number, outcome: { reply: Reply } | { error: Error }): void {
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    if ('error' in outcome) waiter?.reject(outcome.error);
    else waiter?.resolve(outcome.reply);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The last `count` lines printed, for failure messages. */
  tail(count: number): string {
    return this.lines.slice(-count).join('\n');
  }

  /** The first line printed (so far or from now on) matching `pattern`; rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const printed = this.lines.map((line) => line.match(pattern)).find((match) => match !== null);
    if (printed) return Promise.resolve(printed);
    return new Promise((resolveMatch, rejectMatch) => {
      const listener = (line: string): void => {
        const match = line.match(pattern);
        if (!match) return;
        this.lineListeners.delete(listener);
        clearTimeout(timer);
        resolveMatch(match);
      };
      const timer = setTimeout(() => {
        this.lineListeners.delete(listener);
        rejectMatch(new Error(`no output matched ${String(pattern)} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.lineListeners.add(listener);
    });
  }
}

/** `promise`, or a rejection naming `what()` once `timeoutMs` have passed. */
export async function withinTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, rejectTimeout) => {
        timer = setTimeout(() => rejectTimeout(new Error(`${what()} (after ${timeoutMs} ms)`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
