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
});
