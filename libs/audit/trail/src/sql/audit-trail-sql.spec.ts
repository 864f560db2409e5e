import { auditTrailSql, INSERT_CHUNK_ROWS, INSERT_COLUMNS } from './audit-trail-sql';

const COLUMNS =
  'id, occurred_at, actor_id, actor_name, action, resource_type, resource_id, details, client_ip, source, forwarded_for';

describe('auditTrailSql', () => {
  it('lists every stored column but recorded_at, which the database fills', () => {
    expect(INSERT_COLUMNS.join(', ')).toBe(COLUMNS);
  });

  it("keeps one insert statement under SQL Server's 2,100 parameters", () => {
    expect(INSERT_CHUNK_ROWS * INSERT_COLUMNS.length).toBeLessThanOrEqual(2100);
  });

  describe('postgres', () => {
    const sut = auditTrailSql('postgres');

    it('inserts with ON CONFLICT (id) DO NOTHING and returns only the new ids', () => {
      expect(sut.insertNew(2)).toBe(
        `INSERT INTO audit_events (${COLUMNS}) VALUES ` +
          '($1, CAST($2 AS timestamptz), $3, $4, $5, $6, $7, $8, $9, $10, $11), ' +
          '($12, CAST($13 AS timestamptz), $14, $15, $16, $17, $18, $19, $20, $21, $22) ' +
          'ON CONFLICT (id) DO NOTHING RETURNING id',
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
      expect(sut.page(30, 60)).toBe('LIMIT 30 OFFSET 60');
      expect(sut.param(1)).toBe('$1');
    });
  });

  describe('mssql', () => {
    const sut = auditTrailSql('mssql');

    it('inserts only ids not stored yet, with no MERGE and no table hint, and outputs the new ids', () => {
      expect(sut.insertNew(2)).toBe(
        `INSERT INTO audit_events (${COLUMNS}) OUTPUT inserted.id SELECT ` +
          'source.id, CONVERT(datetime2, source.occurred_at, 127), source.actor_id, source.actor_name, source.action, ' +
          'source.resource_type, source.resource_id, source.details, source.client_ip, source.source, ' +
          'source.forwarded_for FROM (VALUES ' +
          '(@0, @1, @2, @3, @4, @5, @6, @7, @8, @9, @10), (@11, @12, @13, @14, @15, @16, @17, @18, @19, @20, @21)) ' +
          `AS source (${COLUMNS}) WHERE NOT EXISTS (SELECT 1 FROM audit_events stored WHERE stored.id = source.id);`,
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
      expect(sut.page(30, 60)).toBe('OFFSET 60 ROWS FETCH NEXT 30 ROWS ONLY');
      expect(sut.param(1)).toBe('@0');
    });
  });
});
