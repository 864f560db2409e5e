import { QueryFailedError } from 'typeorm';

import { isInsertRace } from './insert-conflict';

/** What TypeORM throws: the driver's error as driverError. */
function failed(driverError: object): QueryFailedError {
  return new QueryFailedError('INSERT …', [], Object.assign(new Error('driver'), driverError));
}

describe(isInsertRace.name, () => {
  it('is a key violation on either dialect (PostgreSQL 23505; SQL Server and Babelfish 2627, 2601)', () => {
    expect(isInsertRace(failed({ code: '23505' }))).toBe(true);
    expect(isInsertRace(failed({ number: 2627 }))).toBe(true);
    expect(isInsertRace(failed({ number: 2601 }))).toBe(true);
  });

  it('is a deadlock victim on either dialect (PostgreSQL 40P01, SQL Server and Babelfish 1205)', () => {
    expect(isInsertRace(failed({ code: '40P01' }))).toBe(true);
    expect(isInsertRace(failed({ number: 1205 }))).toBe(true);
  });

  it('is not any other failure: a value too long, a lost connection, no error object', () => {
    expect(isInsertRace(failed({ code: '22001' }))).toBe(false);
    expect(isInsertRace(failed({ number: 2628 }))).toBe(false);
    expect(isInsertRace(failed({ code: 'ESOCKET' }))).toBe(false);
    expect(isInsertRace(new Error('socket hang up'))).toBe(false);
    expect(isInsertRace(undefined)).toBe(false);
  });
});
