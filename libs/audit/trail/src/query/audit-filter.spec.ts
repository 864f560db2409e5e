import { auditTrailSql } from '../sql/audit-trail-sql';
import { buildAuditFilter, buildAuditPageSql, escapeLike } from './audit-filter';
import { AuditQuery } from './audit-query';

const unfiltered: AuditQuery = { take: 30 };
const everything: AuditQuery = {
  actor: 'Alice',
  action: { prefix: 'project.' },
  resourceType: 'Project',
  resourceId: 'p1',
  from: new Date('2025-03-01T00:00:00Z'),
  to: new Date('2025-03-02T00:00:00Z'),
  take: 5,
};

describe(buildAuditFilter.name, () => {
  it('has no WHERE when nothing is filtered', () => {
    expect(buildAuditFilter(unfiltered, auditTrailSql('postgres'))).toEqual({ where: '', params: [] });
  });

  it('ANDs every filter with bound parameters on PostgreSQL', () => {
    expect(buildAuditFilter(everything, auditTrailSql('postgres'))).toEqual({
      where:
        "WHERE (LOWER(actor_name) = $1 OR actor_id = $2) AND action LIKE $3 ESCAPE '\\' AND resource_type = $4 " +
        'AND resource_id = $5 AND occurred_at >= CAST($6 AS timestamptz) AND occurred_at < CAST($7 AS timestamptz)',
      params: [
        'alice',
        'Alice',
        'project.%',
        'Project',
        'p1',
        '2025-03-01T00:00:00.000Z',
        '2025-03-02T00:00:00.000Z',
      ],
    });
  });

  it('ANDs every filter with bound parameters on SQL Server', () => {
    expect(buildAuditFilter(everything, auditTrailSql('mssql')).where).toBe(
      'WHERE (actor_name = @0 OR (actor_id = @1 AND actor_id COLLATE Latin1_General_BIN2 = @1)) ' +
        "AND (action LIKE @2 ESCAPE '\\' AND action COLLATE Latin1_General_BIN2 LIKE @2 ESCAPE '\\') " +
        'AND (resource_type = @3 AND resource_type COLLATE Latin1_General_BIN2 = @3) ' +
        'AND (resource_id = @4 AND resource_id COLLATE Latin1_General_BIN2 = @4) ' +
        'AND occurred_at >= CONVERT(datetime2, @5, 127) AND occurred_at < CONVERT(datetime2, @6, 127)',
    );
  });

  it('matches outcome, request, project and environment exactly, on both dialects', () => {
    const provenance: AuditQuery = {
      ...unfiltered,
      outcome: 'failure',
      requestId: 'req-1',
      projectId: 'Projects-1',
      environmentId: 'Environments-2',
    };
    expect(buildAuditFilter(provenance, auditTrailSql('postgres'))).toEqual({
      where: 'WHERE outcome = $1 AND request_id = $2 AND project_id = $3 AND environment_id = $4',
      params: ['failure', 'req-1', 'Projects-1', 'Environments-2'],
    });
    expect(buildAuditFilter(provenance, auditTrailSql('mssql')).where).toBe(
      'WHERE (outcome = @0 AND outcome COLLATE Latin1_General_BIN2 = @0) ' +
        'AND (request_id = @1 AND request_id COLLATE Latin1_General_BIN2 = @1) ' +
        'AND (project_id = @2 AND project_id COLLATE Latin1_General_BIN2 = @2) ' +
        'AND (environment_id = @3 AND environment_id COLLATE Latin1_General_BIN2 = @3)',
    );
  });

  it('matches an exact action with equality', () => {
    expect(
      buildAuditFilter({ ...unfiltered, action: { exact: 'project.created' } }, auditTrailSql('postgres')),
    ).toEqual({
      where: 'WHERE action = $1',
      params: ['project.created'],
    });
  });

  it('escapes LIKE wildcards in an action prefix', () => {
    expect(escapeLike('a_b%c[d\\e')).toBe('a\\_b\\%c\\[d\\\\e');
    expect(
      buildAuditFilter({ ...unfiltered, action: { prefix: 'user_x.' } }, auditTrailSql('mssql')).params,
    ).toEqual(['user\\_x.%']);
  });
});

describe(buildAuditPageSql.name, () => {
  const columns =
    'id, occurred_at, actor_id, actor_name, action, resource_type, resource_id, details, client_ip, source, forwarded_for, ' +
    'sign_in_method, api_key_id, socket_peer, node_name, request_id, outcome, project_id, environment_id, ' +
    'sequence_number, chain_hash, recorded_at';
  const after = { occurredAt: new Date('2025-03-01T12:00:00Z'), id: '0f8c1c66-5e2e-4d0b-9d55-6a8f1d3c2b1a' };

  it('asks one event more than a page, newest first with id as tie-breaker, after the cursor, on PostgreSQL', () => {
    const sut = buildAuditPageSql(
      { ...unfiltered, resourceType: 'Project', after, take: 5 },
      auditTrailSql('postgres'),
    );
    expect(sut.select).toBe(
      `SELECT ${columns} FROM audit_events WHERE resource_type = $1 ` +
        // The first comparison is the index bound; the OR alone would scan from the newest event.
        'AND occurred_at <= CAST($2 AS timestamptz) ' +
        'AND (occurred_at < CAST($2 AS timestamptz) OR (occurred_at = CAST($2 AS timestamptz) AND id < $3)) ' +
        'ORDER BY occurred_at DESC, id DESC LIMIT 6 OFFSET 0',
    );
    expect(sut.params).toEqual(['Project', '2025-03-01T12:00:00.000Z', after.id]);
  });

  it('pages with FETCH on SQL Server and has no WHERE when unfiltered', () => {
    const sut = buildAuditPageSql(unfiltered, auditTrailSql('mssql'));
    expect(sut.select).toBe(
      `SELECT ${columns} FROM audit_events ORDER BY occurred_at DESC, id DESC OFFSET 0 ROWS FETCH NEXT 31 ROWS ONLY`,
    );
  });

  it('filters the client address as a range of keys and the details as escaped literal text', () => {
    const sut = buildAuditFilter(
      { ...unfiltered, clientIp: { low: 'a', high: 'b' }, text: '50%_off' },
      auditTrailSql('mssql'),
    );
    expect(sut.where).toBe(
      "WHERE client_ip_key BETWEEN @0 AND @1 AND (details LIKE @2 ESCAPE '\\' AND details COLLATE Latin1_General_BIN2 LIKE @2 ESCAPE '\\')",
    );
    expect(sut.params).toEqual(['a', 'b', '%50\\%\\_off%']);
  });
});
