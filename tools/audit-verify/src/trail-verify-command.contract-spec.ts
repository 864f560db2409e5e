import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

import {
  AuditEventRepository,
  AuditEventRow,
  AuditTrailEntities,
  AuditTrailMigrations,
  signCheckpoint,
} from '@flotilla/audit/trail';
import { dialectSql } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { verifyTrailInDatabase } from './trail-verify-command';

/** Creating and migrating a database takes up to a minute on Babelfish on a busy machine. */
const SETUP_MS = 180_000;
/** Three pages of verification (1,000 each) and a bit. */
const EVENTS = 2_500;
const at = Date.parse('2026-12-01T10:00:00.000Z');
/** The trail's append-only trigger (migration MakeAuditEventsAppendOnly1764200000202). */
const GUARD = 'audit_events_append_only';

function row(index: number): AuditEventRow {
  return {
    id: randomUUID(),
    occurredAt: new Date(at + index),
    actorId: 'u1',
    actorName: 'Alice',
    action: 'project.created',
    resourceType: 'Project',
    resourceId: `p${index}`,
    details: JSON.stringify({ index }),
    clientIp: '192.0.2.7',
    source: 'spec',
    forwardedFor: '',
    signInMethod: 'password',
    apiKeyId: '',
    socketPeer: '127.0.0.1',
    nodeName: 'node-1',
    requestId: randomUUID(),
    outcome: 'success',
    projectId: `p${index}`,
    environmentId: '',
  };
}

/** The operator's command against a real database: the chain the audit service wrote, checked. */
describe('npm run audit:verify-trail (verifyTrailInDatabase)', () => {
  let db: MigratedTestDatabase;
  const chainKey = randomBytes(32);
  const checkpointKey = generateKeyPairSync('ed25519');
  const keys = { chainKey, checkpointPublicKey: checkpointKey.publicKey };

  /** Runs the command with a clock that moves 1 s per reading, so progress lines appear. */
  async function run(): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    let clock = 0;
    const code = await verifyTrailInDatabase(
      db.dataSource,
      keys,
      300_000,
      { log: (line) => lines.push(line) },
      () => (clock += 1000),
    );
    return { code, lines };
  }

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
    const repository = new AuditEventRepository(db.dataSource, chainKey);
    await repository.insertNew(Array.from({ length: EVENTS }, (_, index) => row(index)));
    await repository.writeCheckpointIfDue(0, (head) => ({
      id: randomUUID(),
      ...head,
      nodeName: 'node-1',
      signature: signCheckpoint(checkpointKey.privateKey, head),
    }));
  }, SETUP_MS);

  afterAll(() => db?.dispose());

  it('reports an intact chain with progress on the way and how long it took, exit 0', async () => {
    const { code, lines } = await run();
    expect(code).toBe(0);
    // A line every 2 s (of the fake clock): after the second page of 1,000.
    expect(lines[0]).toMatch(/^… #2000 reached, 2,000 events read in \d+\.\d s$/);
    expect(lines.some((line) => line.startsWith(`chain head #${EVENTS}, begun `))).toBe(true);
    expect(lines.some((line) => /^newest checkpoint: #2500, signed .* by node-1$/.test(line))).toBe(true);
    expect(
      lines.some((line) => /^2,500 events verified in \d+\.\d s \(\d[\d,]* events\/s\)$/.test(line)),
    ).toBe(true);
    expect(lines.at(-1)).toBe('intact');
  });

  it('names the first break and exits 1 when an event was edited behind the trigger', async () => {
    const p = dialectSql(db.dialect).param;
    if (db.dialect === 'postgres') {
      await db.dataSource.transaction(async (manager) => {
        await manager.query(`ALTER TABLE audit_events DISABLE TRIGGER ${GUARD}`);
        await manager.query(
          `UPDATE audit_events SET actor_name = 'Mallory' WHERE sequence_number = ${p(1)}`,
          [1200],
        );
        await manager.query(`ALTER TABLE audit_events ENABLE TRIGGER ${GUARD}`);
      });
    } else {
      // SQL Server: an owner can drop the trigger; the database is thrown away after the spec.
      await db.dataSource.query(`DROP TRIGGER ${GUARD}`);
      await db.dataSource.query(
        `UPDATE audit_events SET actor_name = 'Mallory' WHERE sequence_number = ${p(1)}`,
        [1200],
      );
    }
    const { code, lines } = await run();
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(/^BROKEN \(edited\): event #1200 \(.+\) does not match its link/);
    expect(lines.some((line) => line.startsWith('1,199 events verified in '))).toBe(true);
  });
});
