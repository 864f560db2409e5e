import { dialectSql, portableColumns } from './dialect';

describe('dialectSql', () => {
  it('takes time from the database clock on both dialects', () => {
    expect(dialectSql('postgres').now).toBe('CURRENT_TIMESTAMP');
    expect(dialectSql('mssql').now).toBe('SYSUTCDATETIME()');
  });

  it('numbers raw parameters the way each driver expects', () => {
    expect(dialectSql('postgres').param(1)).toBe('$1');
    expect(dialectSql('mssql').param(1)).toBe('@0');
  });
});

describe('portableColumns', () => {
  it('maps unbounded text and booleans per dialect', () => {
    expect(portableColumns('postgres').text('body')).toMatchObject({ type: 'text' });
    expect(portableColumns('mssql').text('body')).toMatchObject({ type: 'nvarchar', length: 'max' });
    expect(portableColumns('mssql').boolean('flag', true)).toMatchObject({ type: 'bit', default: 1 });
  });
});
