const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ScriptEnvironmentParts {
  /** The script's own folders. */
  home: string;
  tmp: string;
  /** The user the script runs as (USER, LOGNAME). */
  user: string;
  /** The deployment's variables, under their own and UPPER_SNAKE names. */
  variables: Record<string, string>;
  /** References that stand for `#{Name}` in the script text. */
  substitutions: Record<string, string>;
  /** Where PATH and LANG come from (the executor's environment); nothing else of it is taken... */
  inherited?: NodeJS.ProcessEnv;
  /** ...but these names, which the operator hands to scripts on purpose (FLOTILLA_SCRIPT_PASS_ENV). */
  passed?: readonly string[];
}

/**
 * A script's whole environment, built from nothing: PATH and LANG, its own HOME and TMPDIR, the
 * deployment's variables and the substitution references. Nothing else of the executor's
 * environment reaches it: no FLOTILLA_* configuration, database URL, admin password, key or
 * PKI path. The deployment may set PATH or LANG itself; it cannot move HOME, TMPDIR or USER.
 */
export function scriptEnvironment(parts: ScriptEnvironmentParts): Record<string, string> {
  const inherited = parts.inherited ?? process.env;
  const passed: Record<string, string> = {};
  for (const name of parts.passed ?? []) {
    const value = inherited[name];
    if (value !== undefined && !name.toUpperCase().startsWith('FLOTILLA_')) passed[name] = value;
  }
  return {
    PATH: inherited['PATH'] || DEFAULT_PATH,
    LANG: inherited['LANG'] || 'C.UTF-8',
    ...passed,
    ...parts.variables,
    ...parts.substitutions,
    HOME: parts.home,
    TMPDIR: parts.tmp,
    USER: parts.user,
    LOGNAME: parts.user,
  };
}
