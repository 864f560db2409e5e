import { tmpdir } from 'node:os';

import { longestMaskedFragment } from '../task-log/secret-masking';
import { TaskOutputLimiter } from '../task-log/task-output-limits';
import { StepContext, StepExecutor, StepOutcome } from '../task-runner/step-executor';
import { variablesAsEnvironment } from '../variables/deployment-variables';
import { runInProcessGroup } from './process-group';
import { scriptEnvironment } from './script-environment';
import { ScriptFence } from './script-fence';
import { resolveScriptIdentity, DEFAULT_SCRIPT_USER } from './script-user';
import { createScriptWorkspace } from './script-workspace';
import { substituteForShell } from './shell-substitution';

const DEFAULT_TIMEOUT_SECONDS = 3600;

export interface RunScriptOptions {
  /** Where per-step work folders are created (the OS temp folder by default). */
  workRoot?: string;
  /** Between SIGTERM and SIGKILL when a script is stopped. */
  killGraceMs?: number;
  /**
   * Who scripts run as. By default the executor works it out on first use: as root, the
   * `flotilla-script` user (created if missing); otherwise its own user, unfenced.
   */
  fence?: ScriptFence | Promise<ScriptFence>;
  /** Executor environment variables handed to scripts on purpose (FLOTILLA_SCRIPT_PASS_ENV). */
  passEnvironment?: readonly string[];
}

export function parseTimeoutSeconds(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_TIMEOUT_SECONDS;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`timeoutSeconds must be a positive whole number (got "${raw}")`);
  return value;
}

async function defaultFence(): Promise<ScriptFence> {
  try {
    const identity = await resolveScriptIdentity(DEFAULT_SCRIPT_USER);
    return identity.fenced
      ? { state: 'fenced', identity, notes: [] }
      : { state: 'unfenced', identity, notes: [] };
  } catch (error) {
    return { state: 'unusable', problem: (error as Error).message, notes: [] };
  }
}

/**
 * `run-script`: bash with the step's scriptBody, in its own process group and work folder, as the
 * fence's unprivileged user with an environment of its own. `#{Name}` becomes a reference to an
 * environment variable, never the value itself, so no value can inject shell code.
 */
export class RunScriptStep implements StepExecutor {
  readonly actionType = 'run-script';
  private fence: Promise<ScriptFence> | undefined;

  constructor(private readonly options: RunScriptOptions = {}) {}

  async run(context: StepContext): Promise<StepOutcome> {
    const { step, variables, log, signal } = context;
    const timeoutSeconds = parseTimeoutSeconds(step.properties['timeoutSeconds']);
    const fence = await (this.fence ??= Promise.resolve(this.options.fence ?? defaultFence()));
    if (fence.state === 'unusable')
      return { kind: 'failed', message: `Scripts cannot run here: ${fence.problem}` };
    const substituted = substituteForShell(step.properties['scriptBody'] ?? '', (name) =>
      variables.get(name),
    );
    const owner = fence.state === 'fenced' ? fence.identity : undefined;
    const output = context.output ?? new TaskOutputLimiter(undefined, variables.sensitiveValues());
    const workspace = await createScriptWorkspace(
      this.options.workRoot ?? tmpdir(),
      substituted.script,
      owner,
    );
    const writeLine = (write: (message: string) => void) => (line: string, cutChars: number) => {
      const admitted = output.admit(line, cutChars);
      if (admitted.notice) log.warning(admitted.notice);
      if ('text' in admitted) write(admitted.text);
    };
    try {
      const result = await runInProcessGroup({
        command: 'bash',
        args: [workspace.scriptPath],
        cwd: workspace.workDir,
        env: scriptEnvironment({
          home: workspace.home,
          tmp: workspace.tmp,
          user: fence.identity.user,
          variables: variablesAsEnvironment(variables),
          substitutions: substituted.environment,
          passed: this.options.passEnvironment,
        }),
        uid: owner?.uid,
        gid: owner?.gid,
        // Enough past the cut that a secret straddling it is still masked whole.
        maxLineChars: output.limits.maxLineChars + longestMaskedFragment(variables.sensitiveValues()),
        timeoutMs: timeoutSeconds * 1000,
        signal,
        killGraceMs: this.options.killGraceMs,
        onStdoutLine: writeLine((message) => log.info(message)),
        onStderrLine: writeLine((message) => log.error(message)),
      });
      switch (result.reason) {
        case 'timedOut': {
          const message = `Script timed out after ${timeoutSeconds}s and was killed`;
          log.error(message);
          return { kind: 'timedOut', message };
        }
        case 'aborted':
          log.warning('Script stopped');
          return { kind: 'failed', message: 'Script stopped' };
        case 'exited': {
          if (result.exitCode === 0) return { kind: 'success' };
          const message = result.signal
            ? `Script was killed by signal ${result.signal}`
            : `Script exited with code ${result.exitCode}`;
          log.error(message);
          return { kind: 'failed', message };
        }
      }
    } finally {
      await workspace.remove();
    }
  }
}
