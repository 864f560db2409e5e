import { HttpErrorResponse } from '@angular/common/http';
import type { ApiError } from '@flotilla/api-interfaces';

function isApiError(body: unknown): body is ApiError {
  return typeof body === 'object' && body !== null && 'message' in body;
}

/** The message to show a user for a failed call: the API's own `message` whenever it sent one. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    if (error.status === 0) return 'Cannot reach the Flotilla server. Check your connection and try again.';
    if (isApiError(error.error)) {
      const message = error.error.message;
      return Array.isArray(message) ? message.join('; ') : message;
    }
    return `${error.status} ${error.statusText || 'Request failed'}`;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}
