/**
 * A right password (or an account state the directory itself reported) that still may not sign
 * in, for a reason the person can act on. Each kind has its own code (the start of the gRPC
 * PERMISSION_DENIED message, like PasswordChangeRequired for local accounts) so clients can tell
 * them apart. A wrong user name or password is never one of these: it stays INVALID_CREDENTIALS.
 */
export type DirectoryRefusalKind =
  | 'disabled'
  | 'locked'
  | 'expired'
  | 'password-change-required'
  | 'password-expired'
  | 'logon-restricted';

export const DIRECTORY_REFUSALS: Record<DirectoryRefusalKind, { code: string; message: string }> = {
  disabled: {
    code: 'DirectoryAccountDisabled',
    message: 'this directory account is disabled; ask your directory administrator to enable it',
  },
  locked: {
    code: 'DirectoryAccountLocked',
    message:
      'this directory account is locked out after too many failed sign-ins; wait for the lockout to end or ask your directory administrator to unlock it',
  },
  expired: {
    code: 'DirectoryAccountExpired',
    message: 'this directory account has expired; ask your directory administrator to extend it',
  },
  'password-change-required': {
    code: 'DirectoryPasswordChangeRequired',
    message:
      "the password of this directory account must be changed first; change it in Windows or your organisation's password tool, then sign in again",
  },
  'password-expired': {
    code: 'DirectoryPasswordExpired',
    message:
      "the password of this directory account has expired; change it in Windows or your organisation's password tool, then sign in again",
  },
  'logon-restricted': {
    code: 'DirectoryLogonRestricted',
    message: 'this directory account may not sign in at this time or from here (logon hours or workstations)',
  },
};

export class DirectorySignInRefused extends Error {
  readonly code: string;

  constructor(readonly kind: DirectoryRefusalKind) {
    const refusal = DIRECTORY_REFUSALS[kind];
    super(`${refusal.code}: ${refusal.message}`);
    this.name = 'DirectorySignInRefused';
    this.code = refusal.code;
  }
}

/**
 * No domain controller answered (all down, timed out, TLS refused, or cooling down). Never a
 * verdict on the credentials: sign-in answers UNAVAILABLE, and local accounts still work.
 */
export class DirectoryUnavailableError extends Error {
  constructor(
    message: string,
    readonly attempts: readonly { url: string; error: string }[] = [],
  ) {
    super(message);
    this.name = 'DirectoryUnavailableError';
  }
}

/** The directory answered something Flotilla will not guess around (a truncated result, a bad entry). */
export class DirectoryProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryProtocolError';
  }
}
