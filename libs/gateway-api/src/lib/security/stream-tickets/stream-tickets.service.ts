import { join } from 'node:path';

import { Inject, Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { storageFailureOf } from '@flotilla/platform/storage';

import type { PermissionGrant } from '@flotilla/api-interfaces';

import type { RequestCaller } from '../gateway-request';
import { SharedFolderTicketStore, STREAM_TICKETS_FOLDER } from './shared-folder-ticket-store';
import type { StreamTicketPurpose, StreamTicketRecord } from './stream-ticket';

/** Mints stream tickets for an authenticated caller and redeems them when the stream opens. */
@Injectable()
export class StreamTickets {
  readonly store: SharedFolderTicketStore;

  constructor(@Inject(FLOTILLA_CONFIG) config: Pick<FlotillaConfig, 'sharedStorage'>) {
    this.store = new SharedFolderTicketStore(join(config.sharedStorage, STREAM_TICKETS_FOLDER));
  }

  async mint(
    caller: RequestCaller,
    purpose: StreamTicketPurpose,
    resourceId: string,
  ): Promise<{ ticket: string; expiresAt: string }> {
    try {
      const { ticket, expiresAt } = await this.store.mint({
        purpose,
        resourceId,
        userId: caller.identity.userId,
        username: caller.identity.username,
        displayName: caller.displayName,
        permissions: [...caller.identity.permissions],
        ...(caller.identity.grants ? { grants: caller.identity.grants.map(copyOfGrant) } : {}),
      });
      return { ticket, expiresAt: new Date(expiresAt).toISOString() };
    } catch (error) {
      const failure = storageFailureOf(error);
      if (!failure) throw error;
      throw new ServiceUnavailableException(
        `${purpose === 'task-log' ? 'The live log' : 'The export'} is unavailable: shared storage refused its ticket (${failure.description})`,
      );
    }
  }

  /** The ticket's record, if it opens exactly this purpose and resource; 401 for anything else. */
  async redeem(
    ticket: string,
    purpose: StreamTicketPurpose,
    resourceId: string,
  ): Promise<StreamTicketRecord> {
    const record = await this.store.redeem(ticket);
    if (!record || record.purpose !== purpose || record.resourceId !== resourceId) {
      throw new UnauthorizedException('Invalid, expired or already used stream ticket');
    }
    return record;
  }
}

function copyOfGrant(grant: PermissionGrant): PermissionGrant {
  return {
    permissions: [...grant.permissions],
    ...(grant.projectIds ? { projectIds: [...grant.projectIds] } : {}),
    ...(grant.environmentIds ? { environmentIds: [...grant.environmentIds] } : {}),
  };
}
