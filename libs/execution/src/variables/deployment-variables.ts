import { orchestratorV1 } from '@flotilla/contracts';

/**
 * The variables of one deployment: the project's (already scoped to the environment), the
 * built-ins, and output variables that steps add as they run. Names match case-insensitively,
 * as in Octopus; the exact spelling wins when two differ only in case.
 */
export class DeploymentVariables {
  private readonly values = new Map<string, string>();
  private readonly sensitive = new Set<string>();

  constructor(variables: readonly { name: string; value: string; isSensitive?: boolean }[] = []) {
    for (const variable of variables) this.set(variable.name, variable.value, variable.isSensitive ?? false);
  }

  /** The plan's variables plus the built-ins, which a project variable cannot override. */
  static forPlan(plan: orchestratorV1.TaskPlan): DeploymentVariables {
    const variables = new DeploymentVariables(plan.variables);
    variables.set('Octopus.Project.Name', plan.projectName);
    variables.set('Octopus.Environment.Name', plan.environmentName);
    variables.set('Octopus.Release.Number', plan.releaseVersion);
    variables.set('Octopus.Task.Id', plan.task?.id ?? '');
    variables.set('Octopus.Deployment.Id', plan.task?.deploymentId ?? '');
    return variables;
  }

  set(name: string, value: string, isSensitive = false): void {
    this.values.set(name, value);
    if (isSensitive) this.sensitive.add(name);
  }

  get(name: string): string | undefined {
    const exact = this.values.get(name);
    if (exact !== undefined) return exact;
    const lower = name.toLowerCase();
    for (const [key, value] of this.values) if (key.toLowerCase() === lower) return value;
    return undefined;
  }

  entries(): [string, string][] {
    return [...this.values];
  }

  /** Values never to show in a task log. */
  sensitiveValues(): string[] {
    return [...this.sensitive].map((name) => this.values.get(name) ?? '').filter((value) => value.length > 0);
  }
}

/** Replaces `#{Name}` with the variable's value; unknown names are left as written. */
export function substituteVariables(text: string, variables: DeploymentVariables): string {
  return text.replace(/#\{([^{}]+)\}/g, (whole, name: string) => variables.get(name.trim()) ?? whole);
}

/** The UPPER_SNAKE form of a variable name: Octopus.Project.Name → OCTOPUS_PROJECT_NAME. */
export function upperSnakeName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** A name the OS accepts as an environment variable (non-empty, no "=" and no NUL). */
function isValidEnvName(name: string): boolean {
  return name.length > 0 && !name.includes('=') && !name.includes('\0');
}

/**
 * Environment for a script: each variable under its own name (where the OS allows it) and its
 * UPPER_SNAKE form, which is the one a bash script can read as $NAME.
 */
export function variablesAsEnvironment(variables: DeploymentVariables): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of variables.entries()) {
    if (value.includes('\0')) continue;
    if (isValidEnvName(name)) env[name] = value;
    const snake = upperSnakeName(name);
    if (isValidEnvName(snake) && !/^_*$/.test(snake)) env[snake] = value;
  }
  return env;
}

/** Replaces sensitive values in a log message with asterisks. */
export function redactor(secrets: readonly string[]): (message: string) => string {
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (message) => message;
  return (message) => sorted.reduce((text, secret) => text.split(secret).join('********'), message);
}
