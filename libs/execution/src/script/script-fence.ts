import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { TASK_OUTPUT_DEFAULTS, TaskOutputLimits } from '../task-log/task-output-limits';
import { DEFAULT_SCRIPT_USER, resolveScriptIdentity, ScriptIdentity } from './script-user';

export interface ScriptFenceSettings {
  /** FLOTILLA_SCRIPT_USER: the OS user scripts run as when the executor is root. */
  scriptUser: string;
  /** FLOTILLA_TASK_OUTPUT_MAX_LINE_CHARS, FLOTILLA_TASK_OUTPUT_MAX_BYTES. */
  outputLimits: TaskOutputLimits;
  /**
   * FLOTILLA_SCRIPT_PASS_ENV: names of the executor's environment variables an operator hands to
   * every script on purpose (comma-separated, e.g. a node label); never a FLOTILLA_* one.
   */
  passEnvironment: string[];
}

/** The fence's settings from the executor's environment (FLOTILLA_SCRIPT_USER and the output caps). */
export function scriptFenceSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ScriptFenceSettings {
  return {
    scriptUser: env['FLOTILLA_SCRIPT_USER']?.trim() || DEFAULT_SCRIPT_USER,
    passEnvironment: passedNames(env['FLOTILLA_SCRIPT_PASS_ENV']),
    outputLimits: {
      maxLineChars: positiveInteger(
        env,
        'FLOTILLA_TASK_OUTPUT_MAX_LINE_CHARS',
        TASK_OUTPUT_DEFAULTS.maxLineChars,
      ),
      maxTotalBytes: positiveInteger(
        env,
        'FLOTILLA_TASK_OUTPUT_MAX_BYTES',
        TASK_OUTPUT_DEFAULTS.maxTotalBytes,
      ),
    },
  };
}

function passedNames(raw: string | undefined): string[] {
  const names = (raw ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const refused = names.filter((name) => name.toUpperCase().startsWith('FLOTILLA_') || name.includes('='));
  if (refused.length)
    throw new Error(
      `FLOTILLA_SCRIPT_PASS_ENV may not hand scripts ${refused.join(', ')}: the services' own configuration stays theirs`,
    );
  return names;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive whole number (got "${raw}")`);
  return value;
}

/**
 * Who scripts run as, and the folders made ready for that user. `unusable` when the fence could
 * not be set up as root (e.g. useradd failed): scripts then do not run at all rather than as root.
 */
export type ScriptFence =
  | { state: 'fenced'; identity: Extract<ScriptIdentity, { fenced: true }>; notes: string[] }
  | { state: 'unfenced'; identity: Extract<ScriptIdentity, { fenced: false }>; notes: string[] }
  | { state: 'unusable'; problem: string; notes: string[] };

export interface ScriptFenceFolders {
  /** Release folders scripts read: reachable (and readable) by the script user, never writable. */
  deployRoot: string;
  /** The services' shared storage (packages, task logs): closed to everyone but its owner. */
  sharedStorage: string;
}

/** Resolves (and if need be creates) the script user and prepares the folders around it. */
export async function prepareScriptFence(
  settings: Pick<ScriptFenceSettings, 'scriptUser'>,
  folders: ScriptFenceFolders,
  resolveIdentity: (user: string) => Promise<ScriptIdentity> = resolveScriptIdentity,
): Promise<ScriptFence> {
  let identity: ScriptIdentity;
  try {
    identity = await resolveIdentity(settings.scriptUser);
  } catch (error) {
    const problem = `scripts cannot run fenced as ${settings.scriptUser}: ${(error as Error).message}`;
    return { state: 'unusable', problem, notes: [] };
  }
  if (!identity.fenced) return { state: 'unfenced', identity, notes: [] };
  const notes = identity.created
    ? [`created the OS user ${identity.user} (uid ${identity.uid}) for scripts`]
    : [];
  notes.push(...(await closeToOthers(folders.sharedStorage)));
  notes.push(...(await makeReachable(folders.deployRoot)));
  return { state: 'fenced', identity, notes };
}

/** One line for the start-up log (and anyone asking how scripts run). */
export function describeScriptFence(fence: ScriptFence): string {
  switch (fence.state) {
    case 'fenced':
      return `Scripts run as ${fence.identity.user} (uid ${fence.identity.uid}, gid ${fence.identity.gid}) with a clean environment`;
    case 'unfenced':
      return `Scripts are NOT fenced: ${fence.identity.reason}`;
    case 'unusable':
      return `Scripts will not run: ${fence.problem}`;
  }
}

/**
 * Shared storage holds every task's log and every package: 0700 for the services' user, so a
 * script (another user) can read none of it even where a parent folder lets it pass.
 */
async function closeToOthers(folder: string): Promise<string[]> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const mode = (await stat(folder)).mode & 0o777;
  if ((mode & 0o077) === 0) return [];
  await chmod(folder, mode & 0o700);
  return [`closed ${folder} to other users (was ${octal(mode)}, now ${octal(mode & 0o700)})`];
}

/**
 * Scripts read the release folders deploy-package installs (as the executor, so scripts cannot
 * swap them): the deploy root must be readable, and every folder above it passable (o+x only,
 * which lets no one list them). A data folder made 0700 thus becomes 0701: what is in it stays
 * protected by its own mode (keys 0600, PKI and shared storage 0700).
 */
async function makeReachable(deployRoot: string): Promise<string[]> {
  const notes: string[] = [];
  await mkdir(deployRoot, { recursive: true, mode: 0o755 });
  const rootMode = (await stat(deployRoot)).mode & 0o777;
  if ((rootMode & 0o005) !== 0o005) {
    await chmod(deployRoot, rootMode | 0o005);
    notes.push(
      `made the deploy root ${deployRoot} readable by scripts (${octal(rootMode)} → ${octal(rootMode | 0o005)})`,
    );
  }
  for (let folder = dirname(resolve(deployRoot)); ; folder = dirname(folder)) {
    const mode = (await stat(folder)).mode & 0o777;
    if ((mode & 0o001) === 0) {
      await chmod(folder, mode | 0o001);
      notes.push(
        `let scripts pass through ${folder} to the deploy root (${octal(mode)} → ${octal(mode | 0o001)}, not listable)`,
      );
    }
    if (dirname(folder) === folder) break;
  }
  return notes;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
