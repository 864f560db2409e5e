import type { PermissionGrant } from '@flotilla/api-interfaces';

/**
 * A stream ticket lets a browser's EventSource, which cannot send headers, open one server-sent
 * event stream without putting the session token in a URL (where proxies, logs and history keep
 * it). It is minted by an authenticated POST, names what it opens, and is honoured once.
 */

/** How long a ticket may wait between its POST and the stream's GET. The portal uses it at once. */
export const STREAM_TICKET_TTL_MS = 30_000;

/** What a ticket opens; a ticket for one purpose opens nothing else. */
export const STREAM_TICKET_PURPOSES = ['task-log', 'audit-export'] as const;
export type StreamTicketPurpose = (typeof STREAM_TICKET_PURPOSES)[number];

/** What the gateway keeps about a ticket: who minted it, for what, until when. Never the ticket itself. */
export interface StreamTicketRecord {
  purpose: StreamTicketPurpose;
  /** The one resource (a task id) the ticket opens; '' for an audit export (any filter of the caller's). */
  resourceId: string;
  userId: string;
  username: string;
  displayName: string;
  /** The minting user's permissions at minting time (at most STREAM_TICKET_TTL_MS old when used). */
  permissions: string[];
  /**
   * The minting user's grants when some are restricted to projects / environments (absent: the
   * permissions hold everywhere). Without them a ticket's holder would be unrestricted on the
   * stream: the task's scope is checked against these.
   */
  grants?: PermissionGrant[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** 32 random bytes, base64url: what a well-formed ticket looks like (anything else is refused unread). */
export const STREAM_TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
