export interface AuditEvent {
  id: string;
  /** ISO-8601 */
  occurredAt: string;
  actorId: string;
  actorName: string;
  /** e.g. "project.created", "user.login-failed", "deployment.queued" */
  action: string;
  resourceType: string;
  resourceId: string;
  /** JSON object with what changed; never contains secrets. */
  details: string;
  /**
   * The client's address as the gateway resolved it (trusted X-Forwarded-For aware): always a
   * valid IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4, IPv6 lower-case compressed), or ''
   * when unknown (system events, or a value an older producer stored that was not an address).
   */
  clientIp: string;
  /**
   * The raw X-Forwarded-For of the request, whatever the client and proxies sent (never trusted
   * as an address): characters outside printable ASCII escaped as `\xHH`, at most 1024
   * characters, a longer one cut and ending with `...[cut, N characters]`. '' when none.
   */
  forwardedFor: string;
  /** The service that produced the event. */
  source: string;
  /** Its number in the trail's chain (1, 2, 3, …); null for an event stored before the chain began. */
  sequenceNumber: number | null;
  /** The chain link ending at it (HMAC-SHA256 hex); '' before the chain began. */
  chainHash: string;
  /** When the trail stored it (ISO-8601, the database clock). */
  recordedAt: string;
  /**
   * How the actor signed in: `password` (a local account), `directory`, `api-key`, or `service`
   * for a service acting on its own; '' when unknown (anonymous, or stored before it was recorded).
   */
  signInMethod: string;
  /** The API key's id (never its secret) when the action was authenticated with one; else ''. */
  apiKeyId: string;
  /** The TCP peer the gateway saw (usually the proxy); '' when unknown. */
  socketPeer: string;
  /** The node whose service recorded it. */
  nodeName: string;
  /** The id of the HTTP request (X-Request-Id) that caused it: joins every event of one request. */
  requestId: string;
  /** `success`, `failure` (e.g. a wrong password) or `refused`; '' for events stored before it was recorded. */
  outcome: string;
  /** The project and environment it concerns, when it concerns one; else ''. */
  projectId: string;
  environmentId: string;
}

/** GET /api/events: filters (combined with AND) and a keyset page. */
export interface ListEventsQuery {
  /** The actor's id exactly, or their name in any letter case. */
  actor?: string;
  /** An action, or a prefix ending in `*` (`project.*`). */
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** ISO-8601, inclusive. */
  from?: string;
  /** ISO-8601, exclusive. */
  to?: string;
  /** An IPv4 or IPv6 address, or a CIDR block (`10.1.0.0/16`), matched against the client address. */
  clientIp?: string;
  /** Text anywhere in the details, case significant. */
  text?: string;
  /** `success`, `failure` or `refused`. */
  outcome?: string;
  /** Exact matches. */
  requestId?: string;
  projectId?: string;
  environmentId?: string;
  /** Events per page (default 30, at most 500). */
  take?: number;
  /** The `nextCursor` of the page before; absent for the newest page. */
  after?: string;
}

/** A page of events, newest first. No total: counting a large trail would cost more than the page. */
export interface EventPage {
  items: AuditEvent[];
  take: number;
  /** Pass as `after` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** Where the stored trail first differs from the chain the audit services wrote. */
export interface TrailBreak {
  /**
   * edited: an event's content or number changed; missing: an event removed; head: the newest
   * events removed (or added past the head); unchained: events inserted outside the audit service;
   * checkpoint: the newest signed checkpoint disagrees, does not verify, is missing or too old;
   * archive: a recorded archive's signed manifest does not verify or does not continue the chain.
   */
  kind: 'edited' | 'missing' | 'head' | 'unchained' | 'checkpoint' | 'archive';
  /** The event number where it breaks (0 for unchained). */
  sequence: number;
  /** The edited event's id, when known. */
  eventId?: string;
  message: string;
}

/** GET /api/events/verification: the whole trail checked link by link (EventView). */
export interface TrailVerification {
  intact: boolean;
  /** Chained events checked before the first break (all of them when intact). */
  verifiedEvents: number;
  /** How many events the audit services chained. */
  headSequence: number;
  /** When the chain began; events stored before it carry no link. */
  beganAt: string;
  firstBreak?: TrailBreak;
  /** The newest signed checkpoint the chain was checked against. */
  checkpoint?: { sequence: number; signedAt: string; node: string };
  /** The newest archive the chain in the database was checked to continue from (retention). */
  archivedThrough?: { day: string; sequence: number; archives: number };
}

/** GET /api/events/retention. */
export interface RetentionSetting {
  days: number;
  changedAt: string;
  changedBy: string;
}

/** One archive in GET /api/events/archives. */
export interface AuditArchiveSummary {
  day: string;
  file: string;
  manifestFile: string;
  count: number;
  firstSequence: number | null;
  lastSequence: number | null;
  sha256: string;
  createdAt: string;
  deletableFrom: string;
  fileDeletedAt: string | null;
}
