/**
 * The steps of a directory diagnosis, in the order they run: reaching a controller (connect,
 * including TLS; bind as the search account), finding the user, reading their account state,
 * then the group queries sign-in makes (AD: in-chain, primary group and its parents; generic
 * LDAP: one query per level of the walk) and the diagnostics' own direct-membership query.
 */
export type StepName =
  | 'connect'
  | 'bind'
  | 'user-search'
  | 'account-state'
  | 'groups-in-chain'
  | 'groups-direct'
  | 'primary-group'
  | 'primary-group-parents'
  | 'groups-walk';

export interface DiagnosticStep {
  step: StepName;
  /** The controller's URL. */
  controller: string;
  durationMs: number;
  ok: boolean;
  error?: string;
  detail?: string;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
