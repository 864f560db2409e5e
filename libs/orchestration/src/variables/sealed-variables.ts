import type { orchestratorV1 } from '@flotilla/contracts';
import type { MasterKeyring } from '@flotilla/platform/secrets';

/**
 * Where a list of variables is stored. A sensitive value is sealed with its place as associated
 * data (the set or release, the variable's name and scope), so a ciphertext copied into another
 * row or onto another variable does not open.
 */
export type SecretPlace = { variableSetOf: string } | { release: string };

export function associatedDataFor(place: SecretPlace, variable: orchestratorV1.Variable): string {
  const where = 'variableSetOf' in place ? `variable-set:${place.variableSetOf}` : `release:${place.release}`;
  const scope = [...(variable.environmentIds ?? [])].sort().join(',');
  return JSON.stringify(['flotilla-variable', where, variable.name, scope]);
}

/** The variables as stored: every sensitive value sealed under the keyring's current key. */
export function sealSensitiveValues(
  keyring: MasterKeyring,
  place: SecretPlace,
  variables: readonly orchestratorV1.Variable[],
): orchestratorV1.Variable[] {
  return variables.map((variable) =>
    variable.isSensitive
      ? { ...variable, value: keyring.seal(variable.value ?? '', associatedDataFor(place, variable)) }
      : variable,
  );
}

/** The variables in clear, for the orchestrator's own use (release snapshots, the claimed task's plan). */
export function openSensitiveValues(
  keyring: MasterKeyring,
  place: SecretPlace,
  variables: readonly orchestratorV1.Variable[],
): orchestratorV1.Variable[] {
  return variables.map((variable) =>
    variable.isSensitive
      ? { ...variable, value: keyring.open(variable.value ?? '', associatedDataFor(place, variable)) }
      : variable,
  );
}
