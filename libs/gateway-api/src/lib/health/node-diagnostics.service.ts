import { Inject, Injectable } from '@nestjs/common';
import { timeout } from 'rxjs';

import { NodeDiagnostics, Permission } from '@flotilla/api-interfaces';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, identityToMetadata } from '@flotilla/platform/grpc';
import { SharedStorageProbe } from '@flotilla/platform/storage';

import { BackendClients, unary } from '../grpc/backend-clients';

import {
  DirectorySyncHealth,
  directorySyncHealth,
  unknownDirectorySyncHealth,
} from './directory-sync-health';

/** How long the document waits for auth's answer about the sync before saying it is unknown. */
export const DIRECTORY_SYNC_STATUS_TIMEOUT_MS = 3000;

/**
 * GET /api/health/diagnostics. `directorySync` is there for callers with AdministerSystem (auth
 * answers the sync's status to them only: its failure reasons name domain controllers).
 */
export interface NodeHealthDiagnostics extends NodeDiagnostics {
  directorySync?: DirectorySyncHealth;
}

/** What this node sees of its surroundings, for operators and the portal's Nodes page. */
@Injectable()
export class NodeDiagnosticsService {
  constructor(
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'nodeName'>,
    @Inject(SharedStorageProbe) private readonly storage: Pick<SharedStorageProbe, 'check'>,
    @Inject(BackendClients) private readonly backends?: Pick<BackendClients, 'auth'>,
  ) {}

  async diagnostics(caller?: CallerIdentity): Promise<NodeHealthDiagnostics> {
    const [sharedStorage, directorySync] = await Promise.all([
      this.storage.check(),
      caller?.permissions.includes(Permission.AdministerSystem) ? this.directorySync(caller) : undefined,
    ]);
    return { nodeName: this.config.nodeName, sharedStorage, ...(directorySync ? { directorySync } : {}) };
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
