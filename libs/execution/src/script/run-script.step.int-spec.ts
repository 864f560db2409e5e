import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { orchestratorV1 } from '@flotilla/contracts';

import { readLogLines, stepContext, testPlan } from '../test-support/step-harness';
import { RunScriptStep } from './run-script.step';

function scriptStep(scriptBody: string, timeoutSeconds?: number): orchestratorV1.DeploymentStep {
  const properties: Record<string, string> = { scriptBody };
  if (timeoutSeconds !== undefined) properties['timeoutSeconds'] = String(timeoutSeconds);
  return { name: 'Run it', actionType: 'run-script', properties };
}

/** Process state from /proc ("Z" = zombie), or undefined when the process is gone. */
function processState(pid: number): { state: string; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Running, not a zombie waiting for a reaper (PID 1 in some containers never reaps orphans). */
function running(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state.state !== 'Z';
}

/** Live members of a process group: none once kill(-pgid, 0) fails, else those /proc shows running. */
function liveGroupMembers(pgid: number): number[] {
  try {
    process.kill(-pgid, 0);
  } catch {
    return [];
  }
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => processState(pid)?.pgid === pgid && running(pid));
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

describe(RunScriptStep.name, () => {
  let folder: string;
  let logPath: string;
  const sut = new RunScriptStep({ killGraceMs: 1000 });

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-script-'));
    logPath = join(folder, 'task.log');
  });

  afterEach(() => rm(folder, { recursive: true, force: true }));

  it('logs stdout as Info and stderr as Error, line by line in order', async () => {
    const { context, log } = await stepContext(
      logPath,
      scriptStep('echo one\nsleep 0.2\necho two >&2\nsleep 0.2\nprintf three'),
    );
    await expect(sut.run(context)).resolves.toEqual({ kind: 'success' });
    await log.close();
    expect((await readLogLines(logPath)).map(({ level, message }) => `${level} ${message}`)).toEqual([
      'Info one',
      'Error two',
      'Info three',
    ]);
  });

  it('writes lines to the file while the script still runs', async () => {
    const { context, log } = await stepContext(logPath, scriptStep('echo early\nsleep 1\necho late'));
    const run = sut.run(context);
    const seenEarly = await waitFor(
      async () => (await readLogLines(logPath).catch(() => [])).length === 1,
      800,
    );
    await run;
    await log.close();
    expect(seenEarly).toBe(true);
  });

  it('substitutes #{Name} and passes variables as environment', async () => {
    const plan = testPlan({
      variables: [{ name: 'App.Port', value: '8080', environmentIds: [], isSensitive: false }],
    });
    const step = scriptStep('echo "#{App.Port} $APP_PORT $OCTOPUS_RELEASE_NUMBER #{Unknown}"; pwd');
    const { context, log } = await stepContext(logPath, step, { ...plan, steps: [step] });
    await sut.run(context);
    await log.close();
    const lines = await readLogLines(logPath);
    expect(lines[0].message).toBe('8080 8080 1.0.0 #{Unknown}');
    expect(lines[1].message).toMatch(/flotilla-step-.*\/work$/);
  });

  // Needs root (as CI and the fault suite do): only root can switch to the script user, and a
  // test skipped elsewhere would hide the one result that shows the fence.
  it("as root: runs as the script user, in folders of its own, unable to read what is only the executor's", async () => {
    // A folder anyone may pass through (as the data folder is), holding a file only root may read.
    const passable = await mkdtemp(join(tmpdir(), 'flotilla-script-passable-'));
    await chmod(passable, 0o711);
    const secretFile = join(passable, 'executor-only');
    await writeFile(secretFile, 'executor secret', { mode: 0o600 });
    const step = scriptStep(
      [
        'id -un',
        'stat -c "%U %a" "$HOME" "$TMPDIR" "$PWD"',
        // cat's complaint on stdout too: stdout and stderr are two pipes, read in no fixed order.
        `cat ${secretFile} 2>&1 || echo "refused"`,
        'env | grep -c "^FLOTILLA_" || true',
      ].join('\n'),
    );
    const { context, log } = await stepContext(logPath, step);
    await expect(sut.run(context)).resolves.toEqual({ kind: 'success' });
    await log.close();
    const messages = (await readLogLines(logPath)).map((line) => line.message);
    expect(messages).toEqual([
      'flotilla-script',
      'flotilla-script 700',
      'flotilla-script 700',
      'flotilla-script 700',
      expect.stringContaining('Permission denied'),
      'refused',
      '0',
    ]);
    await rm(passable, { recursive: true, force: true });
  });

  it('removes the work folder after the step', async () => {
    const { context, log } = await stepContext(logPath, scriptStep('pwd'));
    await sut.run(context);
    await log.close();
    const workDir = (await readLogLines(logPath))[0].message;
    expect(existsSync(workDir)).toBe(false);
  });

  it('fails with the exit code in the log and the error', async () => {
    const { context, log } = await stepContext(logPath, scriptStep('echo before\nexit 3'));
    await expect(sut.run(context)).resolves.toEqual({ kind: 'failed', message: 'Script exited with code 3' });
    await log.close();
    expect(await readLogLines(logPath)).toEqual([
      expect.objectContaining({ level: 'Info', message: 'before' }),
      expect.objectContaining({ level: 'Error', message: 'Script exited with code 3' }),
    ]);
  });

  it('kills the whole process group within 2 s when aborted', async () => {
    // Scripts run as the unprivileged script user (when the tests run as root), and the task log
    // writer keeps its own folder 0700: the script writes its pids to a folder open to it.
    const open = await mkdtemp(join(tmpdir(), 'flotilla-script-pids-'));
    await chmod(open, 0o777);
    const pids = join(open, 'pids');
    const abort = new AbortController();
    const step = scriptStep(`echo $$ > ${pids}\nsleep 30 &\necho $! >> ${pids}\nwait`);
    const { context, log } = await stepContext(logPath, step, undefined, abort.signal);
    const run = sut.run(context);
    await waitFor(
      async () => (await readFile(pids, 'utf8').catch(() => '')).trim().split('\n').length === 2,
      5000,
    );
    const [shell, child] = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    expect(running(child)).toBe(true);

    const abortedAt = Date.now();
    abort.abort('cancel');
    await run;
    const gone = await waitFor(() => !running(shell) && !running(child), 2000);
    await log.close();
    expect(gone).toBe(true);
    expect(Date.now() - abortedAt).toBeLessThan(2000);
    // The group (led by the shell) has no live member left.
    expect(liveGroupMembers(shell)).toEqual([]);
    await rm(open, { recursive: true, force: true });
  });

  it('kills a script that outlives timeoutSeconds and says so', async () => {
    const { context, log } = await stepContext(logPath, scriptStep('echo started\nsleep 30', 1));
    const started = Date.now();
    await expect(sut.run(context)).resolves.toEqual({
      kind: 'timedOut',
      message: 'Script timed out after 1s and was killed',
    });
    expect(Date.now() - started).toBeLessThan(4000);
    await log.close();
    expect((await readLogLines(logPath)).map((line) => line.message)).toContain(
      'Script timed out after 1s and was killed',
    );
  });

  it('refuses a timeoutSeconds that is not a positive whole number', async () => {
    const step = { ...scriptStep('true'), properties: { scriptBody: 'true', timeoutSeconds: 'soon' } };
    const { context, log } = await stepContext(logPath, step);
    await expect(sut.run(context)).rejects.toThrow('timeoutSeconds must be a positive whole number');
    await log.close();
  });
});
