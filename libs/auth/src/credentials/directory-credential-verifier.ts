import { status } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { FailureReason, RpcErrors, rpcErrorWithReason } from '@flotilla/platform/grpc';

import { anonymousActor, RequestOrigin } from '../audit-actors';
import type { DirectoryClient } from '../directory/directory-client';
import {
  DirectoryProtocolError,
  DirectorySignInRefused,
  DirectoryUnavailableError,
} from '../directory/directory-refusal';
import { AuthUser, toAuthUser } from '../users/auth-user';

import { AllowedGroups, NotInAllowedGroupRefusal } from './allowed-groups';
import type { CredentialVerifier } from './credential-verifier';
import type { DirectoryAccounts } from './directory-accounts';

/** What a person is told when the directory cannot answer: not a verdict on their password. */
export const DIRECTORY_UNAVAILABLE =
  'The directory cannot be reached right now; try again shortly (local accounts can still sign in)';
/** The directory answered something Flotilla will not guess around (details in the auth log). */
export const DIRECTORY_UNUSABLE =
  'The directory gave an answer Flotilla cannot use; an administrator will find why in the auth service log';

/** The attempted name as the trail stores it (NUL escaped, bounded), like session.service.ts does. */
function auditedName(username: string): string {
  return username.replaceAll('\u0000', '\\x00').slice(0, 200);
}

/**
 * Sign-in against Active Directory / LDAP, with a local account record for each directory user
 * (created at the first sign-in, renamed with the directory; keyed on objectGUID / entryUUID).
 *
 * - wrong name or password: undefined (the caller answers the one generic message);
 * - a right password on a disabled / locked / expired / must-change account, or from a user in
 *   none of FLOTILLA_DIRECTORY_ALLOWED_GROUPS (allowed-groups.ts, checked before any account is
 *   made): PERMISSION_DENIED "<Code>: <what to do>", audited as user.login-refused;
 * - no controller answered: UNAVAILABLE (HTTP 503), never "wrong password";
 * - an account disabled in Flotilla: undefined, like a local one.
 */
export class DirectoryCredentialVerifier implements CredentialVerifier {
  private readonly logger = new Logger(DirectoryCredentialVerifier.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly directory: DirectoryClient,
    private readonly accounts: DirectoryAccounts,
    private readonly audit: AuditRecorder,
    private readonly allowedGroups: AllowedGroups = new AllowedGroups([]),
  ) {}

  async verify(username: string, password: string, origin?: RequestOrigin): Promise<AuthUser | undefined> {
    let found;
    try {
      found = await this.directory.authenticate(username, password);
    } catch (error) {
      throw await this.signInError(error, username, origin);
    }
    if (!found) return undefined;
    const notAllowed = this.allowedGroups.refusalFor(found);
    if (notAllowed) throw await this.signInError(notAllowed, username, origin);
    const account = await this.accounts.upsert(found, origin).catch((error: unknown) => {
      if (!(error instanceof DirectoryProtocolError)) throw error;
      this.logger.error(`Directory sign-in of ${found.dn}: ${error.message}`);
      throw RpcErrors.failedPrecondition(DIRECTORY_UNUSABLE);
    });
    return account.isActive ? toAuthUser(account) : undefined;
  }

  private async signInError(
    error: unknown,
    username: string,
    origin: RequestOrigin | undefined,
  ): Promise<unknown> {
    if (error instanceof DirectorySignInRefused || error instanceof NotInAllowedGroupRefusal) {
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, {
          actor: anonymousActor(origin ?? { clientIp: '' }),
          action: 'user.login-refused',
          resourceType: 'User',
          resourceId: auditedName(username),
          details: { username: auditedName(username), reason: error.code, source: 'directory' },
        }),
      );
      return RpcErrors.permissionDenied(error.message);
    }
    if (error instanceof DirectoryUnavailableError) {
      this.logger.error(`Directory sign-in unavailable: ${error.message}`);
      return rpcErrorWithReason(
        status.UNAVAILABLE,
        DIRECTORY_UNAVAILABLE,
        FailureReason.DirectoryUnavailable,
      );
    }
    if (error instanceof DirectoryProtocolError) {
      this.logger.error(`Directory sign-in failed: ${error.message}`);
      return RpcErrors.failedPrecondition(DIRECTORY_UNUSABLE);
    }
    return error;
  }
}
