import type { PagedAuditEvent } from '../audit-event.repository';
import { csvCell, csvHeader, csvRow, EXPORT_COLUMNS, jsonlLine } from './export-writers';

function event(overrides: Partial<PagedAuditEvent> = {}): PagedAuditEvent {
  return {
    id: '0b7f6a1e-2a4c-4c4e-9d55-2f1f0c7b1a01',
    occurredAt: new Date('2026-03-01T10:15:00.123Z'),
    actorId: 'user-1',
    actorName: 'Ada',
    action: 'project.created',
    resourceType: 'Project',
    resourceId: 'p-1',
    details: '{"name":"Web"}',
    clientIp: '10.0.0.1',
    source: 'orchestrator',
    forwardedFor: '203.0.113.9, 10.0.0.1',
    signInMethod: 'password',
    apiKeyId: '',
    socketPeer: '10.0.0.1',
    nodeName: 'node-a',
    requestId: 'req-1',
    outcome: 'success',
    projectId: 'p-1',
    environmentId: '',
    sequenceNumber: 42,
    chainHash: 'ab'.repeat(32),
    recordedAt: new Date('2026-03-01T10:15:00.456Z'),
    ...overrides,
  };
}

/** RFC 4180 parsing of one record (enough for these rows): the cells as written. */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

describe('CSV export writer', () => {
  it('writes a header row of every column and ends records with CRLF', () => {
    expect(csvHeader()).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`);
    expect(csvRow(event()).endsWith('\r\n')).toBe(true);
  });

  it('writes the chain fields and UTC ISO-8601 times in their columns', () => {
    const cells = parseCsvLine(csvRow(event()).slice(0, -2));
    const at = (column: (typeof EXPORT_COLUMNS)[number]) => cells[EXPORT_COLUMNS.indexOf(column)];
    expect(cells).toHaveLength(EXPORT_COLUMNS.length);
    expect(at('sequenceNumber')).toBe('42');
    expect(at('chainHash')).toBe('ab'.repeat(32));
    expect(at('occurredAt')).toBe('2026-03-01T10:15:00.123Z');
    expect(at('recordedAt')).toBe('2026-03-01T10:15:00.456Z');
    expect(at('details')).toBe('{"name":"Web"}');
    expect(at('forwardedFor')).toBe('203.0.113.9, 10.0.0.1');
  });

  it('leaves the chain cells empty for an event stored before the chain', () => {
    const cells = parseCsvLine(csvRow(event({ sequenceNumber: null, chainHash: null })).slice(0, -2));
    expect(cells.slice(0, 2)).toEqual(['', '']);
  });

  it('quotes per RFC 4180: commas, quotes (doubled), CR and LF', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
  });

  it.each(['=SUM(A1:A2)', '+1', '-1+2', '@cmd', '\tx', '\rx'])(
    'defuses a cell a spreadsheet would run as a formula: %j',
    (value) => {
      const written = csvCell(value);
      const unquoted = written.startsWith('"') ? written.slice(1, -1) : written;
      expect(unquoted.startsWith("'")).toBe(true);
      expect(unquoted.slice(1)).toBe(value);
    },
  );

  it('survives a round trip of a hostile resource name', () => {
    const hostile = '=HYPERLINK("http://evil","click"),\r\n';
    const row = csvRow(event({ resourceId: hostile }));
    expect(parseCsvLine(row.slice(0, -2))[EXPORT_COLUMNS.indexOf('resourceId')]).toBe(`'${hostile}`);
  });
});

describe('JSONL export writer', () => {
  it('writes one JSON object per line with the chain fields and UTC times', () => {
    const line = jsonlLine(event());
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      id: '0b7f6a1e-2a4c-4c4e-9d55-2f1f0c7b1a01',
      sequenceNumber: 42,
      chainHash: 'ab'.repeat(32),
      occurredAt: '2026-03-01T10:15:00.123Z',
      recordedAt: '2026-03-01T10:15:00.456Z',
      details: '{"name":"Web"}',
      requestId: 'req-1',
    });
  });

  it('writes sequenceNumber null for an event stored before the chain', () => {
    const parsed = JSON.parse(jsonlLine(event({ sequenceNumber: null, chainHash: null }))) as Record<
      string,
      unknown
    >;
    expect(parsed['sequenceNumber']).toBeNull();
    expect('sequenceNumber' in parsed).toBe(true);
  });

  it('keeps a line one line whatever the details hold', () => {
    const line = jsonlLine(event({ details: '{"note":"a\\nb\\u2028c"}', resourceId: 'x\ny' }));
    expect(line.split('\n')).toEqual([expect.any(String), '']);
  });
});
