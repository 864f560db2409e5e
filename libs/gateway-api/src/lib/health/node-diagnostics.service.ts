import { Inject, Injectable } from '@nestjs/common';
import { timeout } from 'rxjs';

import { NodeDiagnostics, Permission } from '@flotilla/api-interfaces';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, identityToMetadata } from '@flotilla/platform/grpc';
import { SharedStorageProbe } from '@flotilla/platform/storage';

import { AuditStreamsHealth, readAuditStreamsHealth } from '../audit-streams/audit-streams-health';
import { BackendClients, unary } from '../grpc/backend-clients';

import { AuditTrailHealth, auditTrailHealth, unknownAuditTrailHealth } from './audit-trail-health';
import {
  DirectorySyncHealth,
  directorySyncHealth,
  unknownDirectorySyncHealth,
} from './directory-sync-health';

/** How long the document waits for auth's answer about the sync before saying it is unknown. */
export const DIRECTORY_SYNC_STATUS_TIMEOUT_MS = 3000;
/** The same wait for the audit service's answer about the trail. */
export const AUDIT_TRAIL_HEALTH_TIMEOUT_MS = 3000;

/**
 * GET /api/health/diagnostics. `directorySync` is there for callers with AdministerSystem (auth
 * answers the sync's status to them only: its failure reasons name domain controllers);
 * `auditTrail` for callers with EventView or AdministerSystem (refused events, late checkpoints).
 */
export interface NodeHealthDiagnostics extends NodeDiagnostics {
  directorySync?: DirectorySyncHealth;
  auditTrail?: AuditTrailHealth;
  /** Streaming destinations' backlog, lag, last error and delivering node (AdministerSystem). */
  auditStreams?: AuditStreamsHealth;
}

const mayWatch = (caller: CallerIdentity | undefined, permissions: readonly Permission[]): boolean =>
  permissions.some((permission) => caller?.permissions.includes(permission) ?? false);

/** What this node sees of its surroundings, for operators and the portal's Nodes page. */
@Injectable()
export class NodeDiagnosticsService {
  constructor(
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'nodeName'>,
    @Inject(SharedStorageProbe) private readonly storage: Pick<SharedStorageProbe, 'check'>,
    @Inject(BackendClients) private readonly backends?: Pick<BackendClients, 'auth' | 'audit'>,
  ) {}

  async diagnostics(caller?: CallerIdentity): Promise<NodeHealthDiagnostics> {
    const [sharedStorage, directorySync, auditTrail, auditStreams] = await Promise.all([
      this.storage.check(),
      caller && mayWatch(caller, [Permission.AdministerSystem]) ? this.directorySync(caller) : undefined,
      caller && mayWatch(caller, [Permission.EventView, Permission.AdministerSystem])
        ? this.auditTrail(caller)
        : undefined,
      caller && mayWatch(caller, [Permission.AdministerSystem])
        ? readAuditStreamsHealth(this.backends, caller)
        : undefined,
    ]);
    return {
      nodeName: this.config.nodeName,
      sharedStorage,
      ...(directorySync ? { directorySync } : {}),
      ...(auditTrail ? { auditTrail } : {}),
      ...(auditStreams ? { auditStreams } : {}),
    };
  }

  /** A warning in the document, never a failure of it, like the directory sync's. */
  private async auditTrail(caller: CallerIdentity): Promise<AuditTrailHealth> {
    if (!this.backends) return unknownAuditTrailHealth('no audit client');
    try {
      const health = await unary(
        this.backends.audit
          .health({}, identityToMetadata(caller))
          .pipe(timeout({ first: AUDIT_TRAIL_HEALTH_TIMEOUT_MS })),
      );
      return auditTrailHealth(health);
    } catch (error) {
      return unknownAuditTrailHealth(error instanceof Error ? error.message : String(error));
    }
  }

  /** A warning in the document, never a failure of it: the sync's trouble is not this node's. */
  private async directorySync(caller: CallerIdentity): Promise<DirectorySyncHealth> {
    if (!this.backends) return unknownDirectorySyncHealth('no auth client');
    try {
      const status = await unary(
        this.backends.auth
          .getDirectorySyncStatus({}, identityToMetadata(caller))
          .pipe(timeout({ first: DIRECTORY_SYNC_STATUS_TIMEOUT_MS })),
      );
      return directorySyncHealth(status, new Date());
    } catch (error) {
      return unknownDirectorySyncHealth(error instanceof Error ? error.message : String(error));
    }
  }
}
