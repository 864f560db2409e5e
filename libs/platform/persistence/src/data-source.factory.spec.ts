import { createDataSource } from './data-source.factory';

describe(createDataSource.name, () => {
  const parts = { entities: [], applicationName: 'spec' };

  it('builds a PostgreSQL DataSource on UTC without synchronize', () => {
    const sut = createDataSource(
      { dialect: 'postgres', url: 'postgres://u:p@db.example:5432/flotilla' },
      parts,
    );
    expect(sut.options).toMatchObject({
      type: 'postgres',
      url: 'postgres://u:p@db.example:5432/flotilla',
      synchronize: false,
    });
    expect(sut.options).toMatchObject({ extra: { options: '-c timezone=UTC' } });
  });

  it('builds a SQL Server DataSource from an mssql:// URL with the same parts', () => {
    const sut = createDataSource(
      { dialect: 'mssql', url: 'mssql://sa:S%40cret@sql.example:14330/Flotilla?trustServerCertificate=true' },
      parts,
    );
    expect(sut.options).toMatchObject({
      type: 'mssql',
      host: 'sql.example',
      port: 14330,
      username: 'sa',
      password: 'S@cret',
      database: 'Flotilla',
      synchronize: false,
      migrationsTableName: 'flotilla_migrations',
      options: { encrypt: true, trustServerCertificate: true, appName: 'spec', useUTC: true },
    });
  });
});
