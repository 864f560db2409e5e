import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

import type { auditV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, clientOrigin, RpcErrors, validRequestId } from '@flotilla/platform/grpc';
import { dialectOf } from '@flotilla/platform/persistence';

import { AuditEventRepository } from '../audit-event.repository';
import type { AuditEventRow } from '../event/audit-event.columns';
import { auditTrailSql } from '../sql/audit-trail-sql';

import { parseStreamRequest, recordedSettings } from './audit-stream-config';
import { AuditStreamRepository, AuditStreamRow, AuditStreamState } from './audit-stream.repository';
import { AUDIT_STREAM_SECRETS } from './audit-stream.tokens';
import type { StreamSecrets } from './stream-secrets';

export const ADMINISTER_SYSTEM = 'AdministerSystem';
/** The resource type of a destination's events in the trail. */
export const AUDIT_STREAM_RESOURCE = 'audit-stream';

function requireAdministerSystem(caller: CallerIdentity): void {
  if (!caller.permissions.includes(ADMINISTER_SYSTEM)) {
    throw RpcErrors.permissionDenied(`${ADMINISTER_SYSTEM} permission is required to manage audit streams`);
  }
}

const iso = (date: Date | undefined) => date?.toISOString() ?? '';

/** Where delivery stands, as the API and the health endpoint show it. */
export function toDelivery(state: AuditStreamState | undefined): auditV1.AuditStreamDelivery | undefined {
  if (!state) return undefined;
  return {
    cursorSequence: state.cursorSequence,
    headSequence: state.headSequence,
    backlog: Math.max(0, state.headSequence - state.cursorSequence),
    deliveredAt: iso(state.deliveredAt),
    deliveredBy: state.deliveredBy ?? '',
    lastError: state.lastError ?? '',
    lastErrorAt: iso(state.lastErrorAt),
    oldestUndeliveredAt: iso(state.oldestUndeliveredAt),
    lagMs: state.oldestUndeliveredAt
      ? Math.max(0, state.now.getTime() - state.oldestUndeliveredAt.getTime())
      : 0,
    checkedAt: state.now.toISOString(),
  };
}

function toContract(row: AuditStreamRow, state?: AuditStreamState): auditV1.AuditStream {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    enabled: row.enabled,
    target: row.target,
    hasSecret: row.secretSealed !== null,
    caPem: row.caPem ?? '',
    facility: row.facility,
    delivery: toDelivery(state),
  };
}

/**
 * Administers streaming destinations (AdministerSystem, checked here too: the gateway is not the
 * only line). Every change commits in one transaction with its event in the trail, carrying the
 * old and new values; a webhook secret is sealed before it is stored and appears in the trail only
 * as "set" or "changed".
 */
@Injectable()
export class AuditStreamsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AuditStreamRepository) private readonly streams: AuditStreamRepository,
    @Inject(AuditEventRepository) private readonly events: Pick<AuditEventRepository, 'insertNewIn'>,
    @Inject(AUDIT_STREAM_SECRETS) private readonly secrets: StreamSecrets,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'nodeName'>,
  ) {}

  async list(caller: CallerIdentity): Promise<auditV1.AuditStreamList> {
    requireAdministerSystem(caller);
    const [rows, states] = await Promise.all([this.streams.list(), this.streams.states()]);
    const byId = new Map(states.map((state) => [state.id, state]));
    return { items: rows.map((row) => toContract(row, byId.get(row.id))) };
  }

  async create(
    caller: CallerIdentity,
    request: auditV1.SaveAuditStreamRequest,
  ): Promise<auditV1.AuditStream> {
    requireAdministerSystem(caller);
    if (request.id !== '')
      throw RpcErrors.invalidArgument('id: leave it empty to create (PUT changes an existing one)');
    const input = parseStreamRequest(request, true);
    const id = randomUUID();
    const row: AuditStreamRow = {
      id,
      name: input.name,
      kind: input.kind,
      enabled: input.enabled,
      target: input.target,
      secretSealed: input.secret === undefined ? null : this.secrets.seal(id, input.secret),
      caPem: input.caPem,
      facility: input.facility,
    };
    await this.dataSource.transaction(async (manager) => {
      const created = {
        new: { ...recordedSettings(row), ...(row.kind === 'webhook' ? { secret: 'set' } : {}) },
      };
      const sequence = await this.recordChange(manager, caller, 'audit-stream.created', id, created);
      // From its own creation event on (that event included), unless the whole trail was asked for.
      await this.streams.insert(manager, row, request.fromBeginning ? 0 : sequence - 1);
    });
    return toContract(row);
  }

  async update(
    caller: CallerIdentity,
    request: auditV1.SaveAuditStreamRequest,
  ): Promise<auditV1.AuditStream> {
    requireAdministerSystem(caller);
    const input = parseStreamRequest(request, false);
    return this.dataSource.transaction(async (manager) => {
      const old = await this.streams.find(request.id, manager);
      if (!old) throw RpcErrors.notFound(`No audit stream ${request.id}`);
      if (old.kind !== input.kind)
        throw RpcErrors.invalidArgument(
          `kind: a ${old.kind} stays a ${old.kind}; add a new destination instead`,
        );
      if (input.kind === 'webhook' && input.secret === undefined && old.secretSealed === null) {
        throw RpcErrors.invalidArgument('secret: this webhook has none; give one');
      }
      const row: AuditStreamRow = {
        ...old,
        name: input.name,
        enabled: input.enabled,
        target: input.target,
        caPem: input.caPem,
        facility: input.facility,
        secretSealed: input.secret === undefined ? old.secretSealed : this.secrets.seal(old.id, input.secret),
      };
      await this.streams.update(manager, row);
      await this.recordChange(manager, caller, 'audit-stream.updated', old.id, {
        old: recordedSettings(old),
        new: recordedSettings(row),
        ...(row.kind === 'webhook' ? { secret: input.secret === undefined ? 'unchanged' : 'changed' } : {}),
      });
      return toContract(row);
    });
  }

  async delete(caller: CallerIdentity, id: string): Promise<auditV1.DeleteAuditStreamReply> {
    requireAdministerSystem(caller);
    await this.dataSource.transaction(async (manager) => {
      const old = await this.streams.find(id, manager);
      if (!old) throw RpcErrors.notFound(`No audit stream ${id}`);
      const cursor = await this.streams.cursor(id, manager);
      await this.streams.delete(manager, id);
      await this.recordChange(manager, caller, 'audit-stream.deleted', id, {
        old: recordedSettings(old),
        deliveredUpTo: cursor,
      });
    });
    return {};
  }

  /** Appends the change's event to the chain in the caller's transaction; returns its chain number. */
  private async recordChange(
    manager: EntityManager,
    caller: CallerIdentity,
    action: string,
    streamId: string,
    details: Record<string, unknown>,
  ): Promise<number> {
    const sql = auditTrailSql(dialectOf(this.dataSource));
    const [clock] = await manager.query<{ now: Date | string }[]>(sql.readChainHead);
    const origin = clientOrigin(caller.clientIp, caller.forwardedFor);
    const event: AuditEventRow = {
      id: randomUUID(),
      occurredAt: new Date(clock.now),
      actorId: caller.userId || 'anonymous',
      actorName: caller.username || 'anonymous',
      action,
      resourceType: AUDIT_STREAM_RESOURCE,
      resourceId: streamId,
      details: JSON.stringify(details),
      clientIp: origin.clientIp,
      forwardedFor: origin.forwardedFor,
      source: 'audit',
      signInMethod: caller.signInMethod ?? '',
      apiKeyId: caller.apiKeyId ?? '',
      socketPeer: caller.socketPeer ?? '',
      nodeName: this.config.nodeName,
      requestId: validRequestId(caller.requestId) ?? '',
      outcome: 'success',
      projectId: '',
      environmentId: '',
    };
    await this.events.insertNewIn(manager, [event]);
    // insertNewIn holds the chain lock until this transaction ends: the head is this event.
    const [head] = await manager.query<{ sequence_number: number | string }[]>(sql.readChainHead);
    return Number(head.sequence_number);
  }
}
