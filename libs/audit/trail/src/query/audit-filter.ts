import { AUDIT_EVENTS_TABLE } from '../event/audit-event.columns';
import type { AuditTrailSql } from '../sql/audit-trail-sql';
import type { AuditQuery } from './audit-query';

/** A WHERE clause (empty when nothing is filtered) and its positional parameters. */
export interface AuditFilterSql {
  where: string;
  params: string[];
}

/**
 * Escapes LIKE wildcards so `deploy_ment.*` matches an underscore, not any character; `[` too,
 * which opens a character class in SQL Server's LIKE. The escape character is a backslash on both dialects.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_[]/g, (character) => `\\${character}`);
}

/**
 * Turns a checked query into SQL conditions combined with AND. Every value is a bound parameter;
 * only the dialect's fixed fragments are spliced in. Only the actor name ignores case; ids, actions
 * and resources match exactly on both dialects (SQL Server's default collation would ignore case).
 */
export function buildAuditFilter(query: AuditQuery, sql: AuditTrailSql): AuditFilterSql {
  const params: string[] = [];
  const bind = (value: string): string => {
    params.push(value);
    return sql.param(params.length);
  };
  const conditions: string[] = [];
  if (query.actor !== undefined) {
    conditions.push(
      `(${sql.actorNameEquals(bind(query.actor.toLowerCase()))} OR ${sql.textEquals('actor_id', bind(query.actor))})`,
    );
  }
  if (query.action !== undefined) {
    conditions.push(
      'exact' in query.action
        ? sql.textEquals('action', bind(query.action.exact))
        : sql.textLike('action', bind(`${escapeLike(query.action.prefix)}%`)),
    );
  }
  if (query.resourceType !== undefined)
    conditions.push(sql.textEquals('resource_type', bind(query.resourceType)));
  if (query.resourceId !== undefined) conditions.push(sql.textEquals('resource_id', bind(query.resourceId)));
  if (query.from !== undefined)
    conditions.push(`occurred_at >= ${sql.timestamp(bind(query.from.toISOString()))}`);
  if (query.to !== undefined) conditions.push(`occurred_at < ${sql.timestamp(bind(query.to.toISOString()))}`);
  if (query.clientIp !== undefined)
    conditions.push(`client_ip_key BETWEEN ${bind(query.clientIp.low)} AND ${bind(query.clientIp.high)}`);
  if (query.outcome !== undefined) conditions.push(sql.textEquals('outcome', bind(query.outcome)));
  if (query.requestId !== undefined) conditions.push(sql.textEquals('request_id', bind(query.requestId)));
  if (query.projectId !== undefined) conditions.push(sql.textEquals('project_id', bind(query.projectId)));
  if (query.environmentId !== undefined)
    conditions.push(sql.textEquals('environment_id', bind(query.environmentId)));
  if (query.text !== undefined) conditions.push(sql.textLike('details', bind(`%${escapeLike(query.text)}%`)));
  if (query.after !== undefined) {
    // After the cursor in the page order (occurred_at DESC, id DESC). An OR, not a row comparison:
    // SQL Server has none. The OR alone is no index bound, so the scan of (occurred_at, id) began
    // at the newest event and filtered its way down to the cursor: a page a million events deep
    // read a million index entries (an export of 1,000,000 slowed to a third of its rate). The
    // redundant `occurred_at <= t` is a bound both databases seek to.
    const time = sql.timestamp(bind(query.after.occurredAt.toISOString()));
    conditions.push(
      `occurred_at <= ${time} AND (occurred_at < ${time} OR (occurred_at = ${time} AND id < ${bind(query.after.id)}))`,
    );
  }
  return { where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}

export const SELECT_COLUMNS =
  'id, occurred_at, actor_id, actor_name, action, resource_type, resource_id, details, client_ip, source, forwarded_for, ' +
  'sign_in_method, api_key_id, socket_peer, node_name, request_id, outcome, project_id, environment_id, ' +
  // The chain fields, for reviewers and exports (the link is checked by Verify, not here).
  'sequence_number, chain_hash, recorded_at';

export interface AuditPageSql {
  /**
   * One page and one event more (whether there is a next page), newest first; ties on occurred_at
   * broken by id so paging is stable. Ids are stored as lower-case UUIDs, whose order is the same
   * under PostgreSQL's collation and SQL Server's case-insensitive one (hex digits and hyphens in
   * fixed places), so pages match on both and the index on (occurred_at, id) gives the order
   * without a sort. No COUNT: on a large trail it would cost more than the page.
   */
  select: string;
  params: string[];
}

export function buildAuditPageSql(query: AuditQuery, sql: AuditTrailSql): AuditPageSql {
  const { where, params } = buildAuditFilter(query, sql);
  const filtered = `FROM ${AUDIT_EVENTS_TABLE}${where ? ` ${where}` : ''}`;
  return {
    select: `SELECT ${SELECT_COLUMNS} ${filtered} ORDER BY occurred_at DESC, id DESC ${sql.page(query.take + 1)}`,
    params,
  };
}
