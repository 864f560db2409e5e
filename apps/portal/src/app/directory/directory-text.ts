import type { DirectoryDiagnostics, DirectorySyncStatus } from '../api/directory-api';

/** A duration as people read it: 12.3 ms, 1.24 s. */
export function durationText(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** An ISO time in the browser's locale, or 'never' for the empty string auth sends. */
export function timeText(iso: string): string {
  return iso ? new Date(iso).toLocaleString() : 'never';
}

/** The diagnosis' verdict in one line: the badge's text. */
export function outcomeText(diagnosis: DirectoryDiagnostics): string {
  switch (diagnosis.outcome) {
    case 'found':
      return diagnosis.refusal ? `Found, but sign-in refuses it (${diagnosis.refusal})` : 'Found';
    case 'not-found':
      return 'Not found';
    case 'ambiguous':
      return 'Ambiguous: several entries';
    case 'invalid-name':
      return 'Not a name anyone can have';
    case 'unavailable':
      return 'Directory unavailable';
    case 'not-configured':
      return 'No directory configured';
    default:
      return 'Directory error';
  }
}

/** The badge's colour class: green only for an account that would sign in. */
export function outcomeClass(diagnosis: DirectoryDiagnostics): string {
  if (diagnosis.outcome === 'found' && !diagnosis.refusal) return 'state-success';
  if (diagnosis.outcome === 'found' || diagnosis.outcome === 'not-found') return 'state-canceled';
  return 'state-failed';
}

/** The sync's health in one line. */
export function syncHealthText(status: DirectorySyncStatus): string {
  if (!status.configured) return 'No directory is configured';
  if (!status.lastAttemptAt) return 'Not run yet';
  return status.directoryReachable ? 'Directory reachable' : 'Directory unreachable: nobody was changed';
}
