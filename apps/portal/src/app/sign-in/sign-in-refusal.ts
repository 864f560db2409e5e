import { HttpErrorResponse } from '@angular/common/http';

import { apiErrorMessage } from '../core/api-error';

/**
 * What the sign-in page says for each directory refusal (the 403's `error`, from auth's
 * directory-refusal.ts): what happened and what the person can do. A wrong name or password is not
 * one of these; it keeps the API's one generic message.
 */
const DIRECTORY_REFUSAL_MESSAGES: Readonly<Record<string, string>> = {
  DirectoryAccountDisabled: 'Your account is disabled in the directory — contact your administrator.',
  DirectoryAccountLocked:
    'Your account is locked out in the directory after too many failed sign-ins — wait for the lockout to end or contact your administrator.',
  DirectoryAccountExpired: 'Your directory account has expired — contact your administrator.',
  DirectoryPasswordChangeRequired:
    'Your directory password must be changed first — change it in Windows or your organisation’s password tool, then sign in again.',
  DirectoryPasswordExpired:
    'Your directory password has expired — change it in Windows or your organisation’s password tool, then sign in again.',
  DirectoryLogonRestricted:
    'Your directory account may not sign in at this time or from this computer — contact your administrator.',
  DirectoryGroupNotAllowed:
    'Your directory account is not in a group allowed to use Flotilla — ask your administrator to add you to one.',
};

/** The API words its reasons as the rest of a sentence ("this directory account is…"): shown as one. */
function asSentence(message: string): string {
  const trimmed = message.trim();
  if (!trimmed) return trimmed;
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** "in N minutes" for a Retry-After in seconds (never "in 0 minutes"). */
export function waitPhrase(seconds: number): string {
  if (seconds < 60) return `in ${Math.max(1, Math.ceil(seconds))} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? 'in 1 minute' : `in ${minutes} minutes`;
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const code = (body as { error?: unknown }).error;
  return typeof code === 'string' ? code : undefined;
}

/** The message the sign-in page shows for a failed sign-in. */
export function signInErrorMessage(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    if (error.status === 429) {
      // Retry-After is in seconds here (the gateway never sends an HTTP date).
      const seconds = Number(error.headers.get('Retry-After'));
      return Number.isFinite(seconds) && seconds > 0
        ? `Too many failed sign-ins — try again ${waitPhrase(seconds)}.`
        : 'Too many failed sign-ins — wait a while, then try again.';
    }
    if (error.status === 403) {
      const code = errorCode(error.error);
      const known = code === undefined ? undefined : DIRECTORY_REFUSAL_MESSAGES[code];
      if (known) return known;
      // A directory reason this portal does not know yet: the API's own words still say what to do.
      if (code?.startsWith('Directory')) return asSentence(apiErrorMessage(error));
    }
  }
  return apiErrorMessage(error);
}
