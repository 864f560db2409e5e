import { RpcException } from '@nestjs/microservices';
import { DataSource } from 'typeorm';

import { permissionsOfRoles, Role } from '@flotilla/api-interfaces';
import { AuditOutboxRow, AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import { CallerIdentity, rpcErrorDetails, systemIdentity } from '@flotilla/platform/grpc';

import { ApiKeyService } from '../api-keys/api-key.service';
import type { RequestOrigin } from '../audit-actors';
import { LocalCredentialVerifier } from '../credentials/local-credential-verifier';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE } from '../persistence/auth-entities';
import { ApiKeysRepository } from '../persistence/api-keys.repository';
import { SessionsRepository } from '../persistence/sessions.repository';
import { UsersRepository } from '../persistence/users.repository';
import { SessionService } from '../sessions/session.service';
import { createSignInThrottle } from '../throttle/sign-in-throttle.providers';
import { TokenValidator } from '../tokens/token-validator';
import { AccountAdministrationService } from '../users/account-administration.service';
import { NoTokenRevocations, TokenRevocations } from '../users/account-revocations';
import { AccountStateRepository } from '../users/account-state.repository';
import type { AuthUser } from '../users/auth-user';
import { PasswordChangeService } from '../users/password-change.service';
import { UserService } from '../users/user.service';

/** The auth services wired over one DataSource, as AuthModule wires them (for integration specs). */
export function createAuthServices(
  dataSource: DataSource,
  sessionHours = 12,
  revocations: TokenRevocations = new NoTokenRevocations(),
) {
  const hasher = new ScryptPasswordHasher();
  const users = new UsersRepository();
  const sessions = new SessionsRepository();
  const apiKeys = new ApiKeysRepository();
  const audit = new AuditRecorder(AUTH_AUDIT_SOURCE);
  const verifier = new LocalCredentialVerifier(dataSource, users, hasher);
  // Limits no spec reaches by accident (the throttle's own specs set theirs), counted in the database.
  const throttle = createSignInThrottle(dataSource, users, audit, {
    maxFailuresPerUser: 1000,
    maxFailuresPerIp: 1000,
    windowSeconds: 900,
  });
  return {
    users,
    userService: new UserService(dataSource, users, hasher, audit),
    sessionService: new SessionService(dataSource, verifier, throttle, sessions, users, audit, sessionHours),
    tokenValidator: new TokenValidator(dataSource, sessions, apiKeys, users),
    apiKeyService: new ApiKeyService(dataSource, apiKeys, users, audit, revocations),
    accountAdministration: new AccountAdministrationService(
      dataSource,
      users,
      new AccountStateRepository(),
      hasher,
      audit,
      revocations,
    ),
    passwordChangeService: new PasswordChangeService(dataSource, verifier, users, hasher, audit, throttle),
  };
}

export type AuthServices = ReturnType<typeof createAuthServices>;

export function createTestUser(
  services: AuthServices,
  username: string,
  roles: Role[] = [Role.Deployer],
): Promise<AuthUser> {
  return services.userService.createAccount(systemIdentity('spec'), {
    username,
    displayName: `${username} display`,
    password: `${username} password!`,
    roles,
  });
}

/** The identity the gateway would send for this user. */
export function callerFor(user: AuthUser, clientIp = '198.51.100.20'): CallerIdentity {
  return { userId: user.id, username: user.username, clientIp, permissions: permissionsOfRoles(user.roles) };
}

/** Where a sign-in comes from, as the gateway would resolve it (no raw header unless given). */
export function originOf(clientIp: string, forwardedFor?: string): RequestOrigin {
  return forwardedFor === undefined ? { clientIp } : { clientIp, forwardedFor };
}

/** The gRPC code and message a call failed with; fails the test when it succeeded. */
export async function rpcFailure(work: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await work;
  } catch (error) {
    return rpcDetailsOf(error);
  }
  throw new Error('expected the call to fail');
}

/** The gRPC code and message of a thrown RpcException or a client-side ServiceError. */
export function rpcDetailsOf(error: unknown): { code: number; message: string } {
  const details = rpcErrorDetails(error instanceof RpcException ? error.getError() : error);
  if (!details) throw error;
  return details;
}

export function auditRows(dataSource: DataSource, action?: string): Promise<AuditOutboxRow[]> {
  return dataSource
    .getRepository<AuditOutboxRow>(`${AUTH_AUDIT_SOURCE}AuditOutbox`)
    .find({ where: action ? { action } : {}, order: { occurredAt: 'ASC' } });
}

export async function clearAudit(dataSource: DataSource): Promise<void> {
  await dataSource.query(`DELETE FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)}`);
}
