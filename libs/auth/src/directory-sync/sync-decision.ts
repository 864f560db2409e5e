import type { DirectoryRefusalKind } from '../directory/directory-refusal';

/** Why the sync deactivates an account. */
export type SyncDeactivationReason = 'disabled' | 'locked' | 'expired' | 'gone' | 'not-in-allowed-groups';

/**
 * What the directory says of one account: absent from the search base, or its refusal (if any)
 * and, when FLOTILLA_DIRECTORY_ALLOWED_GROUPS is set, whether it is still in one of those groups.
 */
export type DirectoryAccountState =
  | { found: false }
  | { found: true; refusal?: DirectoryRefusalKind; inAllowedGroups?: boolean };

/** A directory account as Flotilla knows it. */
export interface LocalDirectoryAccount {
  id: string;
  username: string;
  externalId: string;
  isActive: boolean;
  /** Deactivated by the sync and not touched since (an administrator's change clears it). */
  deactivatedBySync: boolean;
}

export type SyncDecision =
  | { kind: 'keep' }
  | { kind: 'deactivate'; reason: SyncDeactivationReason }
  | { kind: 'reactivate' };

/**
 * Refusals that end access now. A password that must be changed or has expired does not: the
 * person fixes it at the next sign-in, and the directory checks that sign-in anyway.
 */
const DEACTIVATING: ReadonlySet<DirectoryRefusalKind> = new Set<DirectoryRefusalKind>([
  'disabled',
  'locked',
  'expired',
]);

function deactivationReason(state: DirectoryAccountState): SyncDeactivationReason | undefined {
  if (!state.found) return 'gone';
  if (state.refusal && DEACTIVATING.has(state.refusal)) return state.refusal as SyncDeactivationReason;
  if (state.inAllowedGroups === false) return 'not-in-allowed-groups';
  return undefined;
}

/**
 * The sync's verdict on one account. An account an administrator disabled stays disabled whatever
 * the directory says (only one the sync itself deactivated comes back); an active account the
 * directory no longer allows is deactivated.
 */
export function decide(account: LocalDirectoryAccount, state: DirectoryAccountState): SyncDecision {
  const reason = deactivationReason(state);
  if (account.isActive) return reason ? { kind: 'deactivate', reason } : { kind: 'keep' };
  if (!reason && account.deactivatedBySync) return { kind: 'reactivate' };
  return { kind: 'keep' };
}

/**
 * A search that succeeded but found none of several known accounts is more likely a wrong base DN
 * or a directory being restored than everyone leaving at once: the sync refuses to act on it.
 */
export function looksLikeAnEmptyAnswer(
  accounts: readonly LocalDirectoryAccount[],
  states: ReadonlyMap<string, DirectoryAccountState>,
): boolean {
  const active = accounts.filter((account) => account.isActive);
  return active.length >= 2 && active.every((account) => !states.get(account.externalId)?.found);
}

/**
 * Likewise, every active account found yet none in an allowed group reads as an emptied or
 * replaced group, or a wrong setting, rather than everyone leaving at once: refused too.
 */
export function looksLikeALostGroup(
  accounts: readonly LocalDirectoryAccount[],
  states: ReadonlyMap<string, DirectoryAccountState>,
): boolean {
  const judged = accounts
    .filter((account) => account.isActive)
    .map((account) => states.get(account.externalId))
    .filter((state) => state?.found === true && state.inAllowedGroups !== undefined);
  return (
    judged.length >= 2 && judged.every((state) => state?.found === true && state.inAllowedGroups === false)
  );
}
