import type { orchestratorV1 } from '@flotilla/contracts';
import { RpcErrors } from '@flotilla/platform/grpc';

import { MAX_NAME_LENGTH } from '../shared/names';

export const MAX_VARIABLES = 2000;

/** A variable's identity in its set: its name in any letter case and its environments. */
export function scopeKey(variable: orchestratorV1.Variable): string {
  return `${variable.name.toLowerCase()}|${[...variable.environmentIds].sort().join(',')}`;
}

/** Whether two variables are the same in every field (environments in any order). */
export function sameVariable(a: orchestratorV1.Variable, b: orchestratorV1.Variable): boolean {
  return (
    a.name === b.name &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.isSensitive === true) === (b.isSensitive === true) &&
    [...a.environmentIds].sort().join(',') === [...b.environmentIds].sort().join(',')
  );
}

/** Checks names and returns the variables normalised (trimmed names, unique sorted environment ids). */
export function validateVariables(
  variables: readonly orchestratorV1.Variable[] | undefined,
): orchestratorV1.Variable[] {
  const list = variables ?? [];
  if (list.length > MAX_VARIABLES)
    throw RpcErrors.invalidArgument(`a project has at most ${MAX_VARIABLES} variables`);
  const seen = new Set<string>();
  return list.map((variable, index) => {
    const name = (variable.name ?? '').trim();
    if (!name) throw RpcErrors.invalidArgument(`variable ${index + 1} needs a name`);
    if (name.length > MAX_NAME_LENGTH) {
      throw RpcErrors.invalidArgument(
        `variable "${name.slice(0, 40)}…": name must be at most ${MAX_NAME_LENGTH} characters`,
      );
    }
    const environmentIds = [
      ...new Set((variable.environmentIds ?? []).map((id) => id.trim()).filter(Boolean)),
    ].sort();
    const normalised = {
      name,
      value: variable.value ?? '',
      environmentIds,
      isSensitive: variable.isSensitive === true,
    };
    const key = scopeKey(normalised);
    if (seen.has(key))
      throw RpcErrors.invalidArgument(`variable "${name}" is defined twice for the same scope`);
    seen.add(key);
    return normalised;
  });
}

/** What users see: sensitive values are write-only. */
export function maskSensitive(variables: readonly orchestratorV1.Variable[]): orchestratorV1.Variable[] {
  return variables.map((variable) => (variable.isSensitive ? { ...variable, value: '' } : variable));
}

/**
 * A sensitive variable sent back with an empty value (as users received it) keeps its stored value,
 * so editing one variable does not wipe the secrets the editor never saw.
 */
export function keepSensitiveValues(
  incoming: readonly orchestratorV1.Variable[],
  stored: readonly orchestratorV1.Variable[],
): orchestratorV1.Variable[] {
  const storedSecrets = new Map(stored.filter((v) => v.isSensitive).map((v) => [scopeKey(v), v.value]));
  return incoming.map((variable) =>
    variable.isSensitive && variable.value === ''
      ? { ...variable, value: storedSecrets.get(scopeKey(variable)) ?? '' }
      : variable,
  );
}
