import { DataSource, MigrationExecutor } from 'typeorm';

import type { AuditEventRow } from './audit-event.columns';

type Provenance = Pick<
  AuditEventRow,
  | 'signInMethod'
  | 'apiKeyId'
  | 'socketPeer'
  | 'nodeName'
  | 'requestId'
  | 'outcome'
  | 'projectId'
  | 'environmentId'
>;

/** The provenance fields all empty, as an event of an older producer carries them; specs spread it. */
export const NO_PROVENANCE: Readonly<Provenance> = {
  signInMethod: '',
  apiKeyId: '',
  socketPeer: '',
  nodeName: '',
  requestId: '',
  outcome: '',
  projectId: '',
  environmentId: '',
};

/** The chain fields of an AuditEvent a producer sends (it is not stored yet). */
export const UNCHAINED = { sequenceNumber: 0, chainHash: '', recordedAt: '' } as const;

/** An event as sent, without the chain fields the trail adds: what a stored one must still match. */
export function sentFields<T extends { sequenceNumber: unknown; chainHash: unknown; recordedAt: unknown }>(
  event: T,
): Omit<T, 'sequenceNumber' | 'chainHash' | 'recordedAt'> {
  const { sequenceNumber: _sequence, chainHash: _link, recordedAt: _recorded, ...fields } = event;
  return fields;
}

/** Provenance as a gateway-fronted user's event carries it, for round-trip specs. */
export const SOME_PROVENANCE: Readonly<Provenance> = {
  signInMethod: 'api-key',
  apiKeyId: '4b1f0c9e-0000-4000-8000-000000000001',
  socketPeer: '127.0.0.1',
  nodeName: 'node-2',
  requestId: 'req-42',
  outcome: 'success',
  projectId: 'Projects-1',
  environmentId: 'Environments-2',
};

/**
 * Undoes every migration executed after `name` (newest first): a spec that takes the schema apart
 * down to one migration does not need to know those added after it by other work.
 */
export async function undoMigrationsAfter(dataSource: DataSource, name: string): Promise<string[]> {
  const undone: string[] = [];
  for (;;) {
    const executed = await new MigrationExecutor(dataSource).getExecutedMigrations();
    const newest = executed.sort((a, b) => b.timestamp - a.timestamp || (b.id ?? 0) - (a.id ?? 0))[0];
    if (!newest) throw new Error(`undoMigrationsAfter: ${name} was never executed`);
    if (newest.name === name) return undone;
    await dataSource.undoLastMigration();
    undone.push(newest.name);
  }
}
