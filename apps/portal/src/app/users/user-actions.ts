import type { User } from '@flotilla/api-interfaces';

/** What an administrator can do to an account from the Users page. */
export type UserAction = 'disable' | 'enable' | 'revoke' | 'reset';

/** The question asked before an action runs: each one takes effect on every node within a second. */
export function confirmationOf(action: UserAction, user: User): string {
  const who = user.displayName || user.username;
  switch (action) {
    case 'disable':
      return `Disable ${who}? They are signed out everywhere and their API keys stop working until re-enabled.`;
    case 'enable':
      return `Re-enable ${who}? They may sign in again and their API keys work again.`;
    case 'revoke':
      return `End every session of ${who}? They must sign in again; API keys keep working.`;
    case 'reset':
      return `Set a new password for ${who}? Their sessions end and they must choose their own password at the next sign-in.`;
  }
}

/** Where an account's password is checked; the API leaves `source` out for older local accounts. */
export function isLocal(user: User): boolean {
  return (user.source ?? 'local') === 'local';
}

/** The state column: what stops or limits the account's sign-in. */
export function stateOf(user: User): string {
  if (!user.isActive) return 'Disabled';
  return user.mustChangePassword ? 'Active, must change password' : 'Active';
}
