import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { validRequestId } from '@flotilla/platform/grpc';

const REQUEST_ID_HEADER = 'x-request-id';

/**
 * The id of one HTTP request, carried in the caller token of every gRPC call made for it, so logs
 * and the audit trail of several services can be joined. A proxy's or client's X-Request-Id is
 * kept when it is a plain token (letters, digits, . _ : -, at most 128); otherwise a new UUID.
 * It is correlation only, never trusted for anything else.
 */
export function requestIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const header = request.headers[REQUEST_ID_HEADER];
  return validRequestId(Array.isArray(header) ? header[0] : header) ?? randomUUID();
}
