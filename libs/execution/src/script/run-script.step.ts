import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { StepContext, StepExecutor, StepOutcome } from '../task-runner/step-executor';
import { substituteVariables, variablesAsEnvironment } from '../variables/deployment-variables';
import { runInProcessGroup } from './process-group';

const DEFAULT_TIMEOUT_SECONDS = 3600;

export interface RunScriptOptions {
  /** Where per-step work folders are created (the OS temp folder by default). */
  workRoot?: string;
  /** Between SIGTERM and SIGKILL when a script is stopped. */
  killGraceMs?: number;
}

/**
 * The base environment of a script: the executor's own, without its FLOTILLA_* configuration
 * (which may carry credentials a deployment script has no business reading).
 */
function baseEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FLOTILLA_')));
}

export function parseTimeoutSeconds(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_TIMEOUT_SECONDS;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`timeoutSeconds must be a positive whole number (got "${raw}")`);
  return value;
}

/** `run-script`: bash with the step's scriptBody, in its own process group and work folder. */
export class RunScriptStep implements StepExecutor {
  readonly actionType = 'run-script';

  constructor(private readonly options: RunScriptOptions = {}) {}

  async run(context: StepContext): Promise<StepOutcome> {
    const { step, variables, log, signal } = context;
    const timeoutSeconds = parseTimeoutSeconds(step.properties['timeoutSeconds']);
    const script = substituteVariables(step.properties['scriptBody'] ?? '', variables);
    const folder = await mkdtemp(join(this.options.workRoot ?? tmpdir(), 'flotilla-step-'));
    try {
      const scriptPath = join(folder, 'script.sh');
      const workDir = join(folder, 'work');
      await writeFile(scriptPath, script, { mode: 0o600 });
      await mkdir(workDir);
      const result = await runInProcessGroup({
        command: 'bash',
        args: [scriptPath],
        cwd: workDir,
        env: { ...baseEnvironment(), ...variablesAsEnvironment(variables) },
        timeoutMs: timeoutSeconds * 1000,
        signal,
        killGraceMs: this.options.killGraceMs,
        onStdoutLine: (line) => log.info(line),
        onStderrLine: (line) => log.error(line),
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
      await rm(folder, { recursive: true, force: true });
    }
  }
}
