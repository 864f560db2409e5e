import { nodeRegistrySql } from './node-registry.sql';

describe(nodeRegistrySql.name, () => {
  it('stamps heartbeats with the database clock on both dialects', () => {
    expect(nodeRegistrySql('postgres').heartbeat).toContain('last_seen = CURRENT_TIMESTAMP');
    expect(nodeRegistrySql('mssql').heartbeat).toContain('last_seen = SYSUTCDATETIME()');
  });

  it('judges a node offline by comparing last_seen with the database clock minus the timeout', () => {
    expect(nodeRegistrySql('postgres').list).toContain(
      "CASE WHEN n.last_seen < (CURRENT_TIMESTAMP + ($1::integer * INTERVAL '1 millisecond')) THEN 1 ELSE 0 END AS is_offline",
    );
    expect(nodeRegistrySql('mssql').list).toContain(
      'CASE WHEN n.last_seen < DATEADD(millisecond, @0, SYSUTCDATETIME()) THEN 1 ELSE 0 END AS is_offline',
    );
  });

  it('creates a node row only when absent, without a failing statement on either dialect', () => {
    expect(nodeRegistrySql('postgres').insertIfAbsent).toContain('ON CONFLICT (name) DO NOTHING');
    expect(nodeRegistrySql('mssql').insertIfAbsent).toContain(
      'WHERE NOT EXISTS (SELECT 1 FROM cluster_nodes WITH (UPDLOCK, HOLDLOCK)',
    );
  });
});
