import { auditTrailSql, INSERT_CHUNK_ROWS, INSERT_COLUMNS } from './audit-trail-sql';

const COLUMNS =
  'id, occurred_at, actor_id, actor_name, action, resource_type, resource_id, details, client_ip, source, ' +
  'forwarded_for, client_ip_key, recorded_at, sequence_number, sign_in_method, api_key_id, socket_peer, ' +
  'node_name, request_id, outcome, project_id, environment_id, link_version, chain_hash';

describe('auditTrailSql', () => {
  it('lists every stored column, the chain columns last', () => {
    expect(INSERT_COLUMNS.join(', ')).toBe(COLUMNS);
  });

  it("keeps one insert statement under SQL Server's 2,100 parameters", () => {
    expect(INSERT_CHUNK_ROWS * INSERT_COLUMNS.length).toBeLessThanOrEqual(2100);
  });

  describe('postgres', () => {
    const sut = auditTrailSql('postgres');

    it('inserts chained rows as given, both timestamps cast from ISO text', () => {
      expect(sut.insertChained(2)).toBe(
        `INSERT INTO audit_events (${COLUMNS}) VALUES ` +
          '($1, CAST($2 AS timestamptz), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CAST($13 AS timestamptz), $14, ' +
          '$15, $16, $17, $18, $19, $20, $21, $22, $23, $24), ' +
          '($25, CAST($26 AS timestamptz), $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, CAST($37 AS timestamptz), $38, ' +
          '$39, $40, $41, $42, $43, $44, $45, $46, $47, $48)',
      );
    });

    it('compares the actor name through LOWER to use the expression index', () => {
      expect(sut.actorNameEquals('$1')).toBe('LOWER(actor_name) = $1');
    });

    it('compares exactly with = and LIKE, which PostgreSQL does with case', () => {
      expect(sut.textEquals('action', '$1')).toBe('action = $1');
      expect(sut.textLike('action', '$1')).toBe("action LIKE $1 ESCAPE '\\'");
    });

    it('casts ISO strings to timestamptz and pages with LIMIT/OFFSET', () => {
      expect(sut.timestamp('$3')).toBe('CAST($3 AS timestamptz)');
      expect(sut.page(30)).toBe('LIMIT 30 OFFSET 0');
      expect(sut.param(1)).toBe('$1');
    });
  });

  describe('mssql', () => {
    const sut = auditTrailSql('mssql');

    it('inserts chained rows as given, both timestamps converted from ISO 8601 (style 127)', () => {
      expect(sut.insertChained(1)).toBe(
        `INSERT INTO audit_events (${COLUMNS}) VALUES ` +
          '(@0, CONVERT(datetime2, @1, 127), @2, @3, @4, @5, @6, @7, @8, @9, @10, @11, CONVERT(datetime2, @12, 127), @13, ' +
          '@14, @15, @16, @17, @18, @19, @20, @21, @22, @23);',
      );
    });

    it('compares exactly through a binary collation, keeping the plain comparison for the index', () => {
      expect(sut.textEquals('action', '@1')).toBe(
        '(action = @1 AND action COLLATE Latin1_General_BIN2 = @1)',
      );
      expect(sut.textLike('action', '@1')).toBe(
        "(action LIKE @1 ESCAPE '\\' AND action COLLATE Latin1_General_BIN2 LIKE @1 ESCAPE '\\')",
      );
    });

    it('relies on the case-insensitive collation for the actor name', () => {
      expect(sut.actorNameEquals('@0')).toBe('actor_name = @0');
    });

    it('converts ISO strings with style 127 and pages with OFFSET/FETCH', () => {
      expect(sut.timestamp('@2')).toBe('CONVERT(datetime2, @2, 127)');
      expect(sut.page(30)).toBe('OFFSET 0 ROWS FETCH NEXT 30 ROWS ONLY');
      expect(sut.param(1)).toBe('@0');
    });
  });
});
