import { Client, ProtocolOperation } from 'ldapts';

/** What a request sent to the directory was, for "where the time goes" and "how many queries". */
export type LdapRequestKind = 'bind' | 'search: nested groups (in-chain)' | 'search' | 'unbind' | 'other';

/** A kind for each request; a benchmark may split ldapRequestKind's further (whose groups a search asks). */
export type LdapRequestClassifier = (message: SentMessage) => string;

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: the search that makes the DC walk the nesting. */
const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';

/** The parts of an ldapts request message the kind is read from. */
export interface SentMessage {
  protocolOperation?: number;
  filter?: { toString(): string };
}

export function ldapRequestKind(message: SentMessage): LdapRequestKind {
  const operation = message.protocolOperation;
  if (operation === ProtocolOperation.LDAP_REQ_BIND) return 'bind';
  if (operation === ProtocolOperation.LDAP_REQ_UNBIND) return 'unbind';
  if (operation !== ProtocolOperation.LDAP_REQ_SEARCH) return 'other';
  return message.filter?.toString().includes(IN_CHAIN_RULE) ? 'search: nested groups (in-chain)' : 'search';
}

/** Requests and the time until their answer, per kind (a paged search counts once per page). */
export class LdapRequestTally {
  private readonly byKind = new Map<string, { count: number; ms: number }>();

  record(kind: string, ms: number): void {
    const entry = this.byKind.get(kind) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += ms;
    this.byKind.set(kind, entry);
  }

  count(kind?: string): number {
    if (kind) return this.byKind.get(kind)?.count ?? 0;
    return [...this.byKind.values()].reduce((sum, entry) => sum + entry.count, 0);
  }

  totalMs(kind?: string): number {
    if (kind) return this.byKind.get(kind)?.ms ?? 0;
    return [...this.byKind.values()].reduce((sum, entry) => sum + entry.ms, 0);
  }

  /** In the order first seen. */
  kinds(): string[] {
    return [...this.byKind.keys()];
  }

  reset(): void {
    this.byKind.clear();
  }
}

/** An object whose `_send(message)` puts one request on the wire and resolves to its answer. */
export interface Sender {
  _send: (this: Sender, message: SentMessage) => Promise<unknown>;
}

/**
 * Counts and times every request `target._send` sends (every ldapts Client of this process when
 * `target` is Client.prototype: the product's own connections, unchanged). Returns the undo.
 * ldapts' `_send` is private API: meterLdapClients checks it is there and fails loudly if not,
 * rather than reporting zero queries.
 */
export function meterLdapRequests(
  target: Sender,
  tally: LdapRequestTally,
  classify: LdapRequestClassifier = ldapRequestKind,
): () => void {
  const original = target._send;
  target._send = async function metered(this: Sender, message: SentMessage): Promise<unknown> {
    const started = performance.now();
    try {
      return await original.call(this, message);
    } finally {
      tally.record(classify(message), performance.now() - started);
    }
  };
  return () => {
    target._send = original;
  };
}

/** meterLdapRequests on every ldapts Client of this process. */
export function meterLdapClients(
  tally: LdapRequestTally,
  classify: LdapRequestClassifier = ldapRequestKind,
): () => void {
  const prototype = Client.prototype as unknown as Partial<Sender>;
  if (typeof prototype._send !== 'function')
    throw new Error('ldapts Client has no _send any more: the LDAP request meter needs updating');
  return meterLdapRequests(prototype as Sender, tally, classify);
}
