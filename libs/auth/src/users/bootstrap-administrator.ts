import { randomBytes } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { DataSource } from 'typeorm';

import { Role } from '@flotilla/api-interfaces';
import { rpcErrorDetails, systemIdentity } from '@flotilla/platform/grpc';

import type { AuthSettings } from '../auth-settings';
import { UsersRepository } from '../persistence/users.repository';

import { passwordProblem, usernameProblem } from './user-rules';
import { UserService } from './user.service';

export type BootstrapOutcome =
  | { created: false }
  | { created: true; username: string; generatedPassword: string | undefined };

/**
 * Makes sure the break-glass administrator exists. Several auth replicas may start at once: the
 * unique username decides, and a replica that loses the race simply finds the account there.
 */
export class BootstrapAdministrator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly userService: UserService,
    private readonly settings: AuthSettings,
  ) {}

  async ensure(): Promise<BootstrapOutcome> {
    const username = this.settings.adminUsername;
    const configured = this.settings.adminPassword;
    const problem =
      usernameProblem(username) ?? (configured === undefined ? undefined : passwordProblem(configured));
    if (problem)
      throw new Error(
        `Cannot create the bootstrap administrator (FLOTILLA_ADMIN_USERNAME/PASSWORD): ${problem}`,
      );
    if (await this.users.findByUsername(this.dataSource.manager, username)) {
      return { created: false };
    }
    const password = configured ?? randomBytes(18).toString('base64url');
    try {
      await this.userService.createAccount(systemIdentity('auth'), {
        username,
        displayName: 'Administrator',
        password,
        roles: [Role.Administrator],
        // A generated password has been printed (a terminal, its scrollback, a log): the
        // administrator replaces it at first sign-in. A configured one is the operator's choice.
        mustChangePassword: configured === undefined || this.settings.adminPasswordGenerated,
      });
    } catch (error) {
      if (isAlreadyExists(error)) return { created: false };
      throw error;
    }
    return { created: true, username, generatedPassword: configured === undefined ? password : undefined };
  }
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof RpcException && rpcErrorDetails(error.getError())?.code === status.ALREADY_EXISTS;
}
