import { ConfigError } from './env-reader';
import { loadFlotillaConfig } from './flotilla-config';

describe(loadFlotillaConfig.name, () => {
  const base = { FLOTILLA_DB_URL: 'postgres://u@127.0.0.1:5432/db' };

  it('applies defaults for a minimal environment', () => {
    const sut = loadFlotillaConfig(base);
    expect(sut.database).toEqual({ dialect: 'postgres', url: base.FLOTILLA_DB_URL });
    expect(sut.taskCap).toBe(5);
    expect(sut.grpc.auth).toBe('127.0.0.1:50051');
    expect(sut.grpc).toEqual(sut.grpcListen);
  });

  it('names every bad variable at once', () => {
    expect(() =>
      loadFlotillaConfig({
        FLOTILLA_DB_DIALECT: 'oracle',
        FLOTILLA_TASK_CAP: 'lots',
        FLOTILLA_AUTH_GRPC_LISTEN: 'nope',
      }),
    ).toThrow(ConfigError);
    try {
      loadFlotillaConfig({ FLOTILLA_DB_DIALECT: 'oracle', FLOTILLA_TASK_CAP: 'lots' });
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('FLOTILLA_DB_DIALECT');
      expect(problems).toContain('FLOTILLA_TASK_CAP');
    }
  });

  it('leaves the database URL empty for processes without tables', () => {
    expect(loadFlotillaConfig({}).database.url).toBe('');
  });

  it('refuses a URL of the wrong dialect', () => {
    expect(() => loadFlotillaConfig({ ...base, FLOTILLA_DB_DIALECT: 'mssql' })).toThrow(/mssql:\/\//);
  });

  describe('task log retry window', () => {
    it('defaults to 60 s and reads FLOTILLA_TASK_LOG_RETRY_MS', () => {
      expect(loadFlotillaConfig(base).taskLogRetryMs).toBe(60_000);
      expect(loadFlotillaConfig({ ...base, FLOTILLA_TASK_LOG_RETRY_MS: '1500' }).taskLogRetryMs).toBe(1500);
    });

    it('refuses a value that is not a whole number of milliseconds, naming the variable', () => {
      expect(() => loadFlotillaConfig({ ...base, FLOTILLA_TASK_LOG_RETRY_MS: 'soon' })).toThrow(ConfigError);
      expect(() => loadFlotillaConfig({ ...base, FLOTILLA_TASK_LOG_RETRY_MS: '-1' })).toThrow(
        /FLOTILLA_TASK_LOG_RETRY_MS/,
      );
    });
  });

  describe('unpack limits', () => {
    it('default to 20 GiB and 100 000 entries per package', () => {
      const sut = loadFlotillaConfig(base);
      expect(sut.maxUnpackedBytes).toBe(21_474_836_480);
      expect(sut.maxArchiveEntries).toBe(100_000);
    });

    it('take FLOTILLA_MAX_UNPACKED_BYTES and FLOTILLA_MAX_ARCHIVE_ENTRIES', () => {
      const sut = loadFlotillaConfig({
        ...base,
        FLOTILLA_MAX_UNPACKED_BYTES: String(50 * 1024 ** 3),
        FLOTILLA_MAX_ARCHIVE_ENTRIES: '250000',
      });
      expect(sut.maxUnpackedBytes).toBe(53_687_091_200);
      expect(sut.maxArchiveEntries).toBe(250_000);
    });

    it.each(['0', '-1', '1.5', '20GiB', '9007199254740993'])('refuse %j, naming both variables', (bad) => {
      let problems: readonly string[] = [];
      try {
        loadFlotillaConfig({ ...base, FLOTILLA_MAX_UNPACKED_BYTES: bad, FLOTILLA_MAX_ARCHIVE_ENTRIES: bad });
      } catch (error) {
        problems = (error as ConfigError).problems;
      }
      expect(problems).toEqual([
        `FLOTILLA_MAX_UNPACKED_BYTES must be a whole number from 1 to 9007199254740991 (got "${bad}")`,
        `FLOTILLA_MAX_ARCHIVE_ENTRIES must be a whole number from 1 to 9007199254740991 (got "${bad}")`,
      ]);
    });
  });
});
