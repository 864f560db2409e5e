import { status } from '@grpc/grpc-js';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';

import {
  CurrentUser,
  isPermission,
  ItemList,
  LoginResponse,
  Permission,
  RevokedSessions,
  User,
} from '@flotilla/api-interfaces';
import { identityToMetadata, rpcErrorDetails } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { PublicRoute, RequirePermission, SignedInRoute } from '../security/route-access';
import { TokenValidator } from '../security/token-validator';
import { ChangePasswordDto, CreateUserDto, LoginDto, ResetUserPasswordDto } from './users.dto';

/**
 * How auth refuses a right password that must be changed first (PERMISSION_DENIED, this prefix:
 * PASSWORD_CHANGE_REQUIRED in libs/auth's session.service.ts; the gateway does not import the auth
 * lib). The API answers it as 403 with this error name, so a client can show a change form.
 */
export const PASSWORD_CHANGE_REQUIRED = 'PasswordChangeRequired';

/** The 403 body for a sign-in that must change its password first. */
export interface PasswordChangeRequiredError {
  statusCode: 403;
  error: typeof PASSWORD_CHANGE_REQUIRED;
  message: string;
}

/**
 * A directory refusal the person can act on (disabled, locked, expired, must change password...):
 * auth's PERMISSION_DENIED message starts with its code, `Directory<Reason>: ` (directory-refusal.ts
 * in libs/auth). Matched by shape, not by a list, so a new reason passes on without a gateway change.
 */
const DIRECTORY_REFUSAL = /^(Directory[A-Za-z]+): (.+)$/s;

/** The 403 body for a sign-in refused by the directory, its code as `error`. */
export interface DirectorySignInRefusedError {
  statusCode: 403;
  error: string;
  message: string;
}

function passwordChangeRequired(
  error: unknown,
): PasswordChangeRequiredError | DirectorySignInRefusedError | undefined {
  const details = rpcErrorDetails(error);
  if (details?.code !== status.PERMISSION_DENIED) return undefined;
  const directory = DIRECTORY_REFUSAL.exec(details.message);
  if (directory?.[1] && directory[2]) return { statusCode: 403, error: directory[1], message: directory[2] };
  if (!details.message.startsWith(`${PASSWORD_CHANGE_REQUIRED}:`)) return undefined;
  return {
    statusCode: 403,
    error: PASSWORD_CHANGE_REQUIRED,
    message: 'This account must change its password before it signs in',
  };
}

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly backends: BackendClients,
    private readonly tokens: TokenValidator,
  ) {}

  /** The anonymous caller's metadata still carries the client IP, so auth can audit failures. */
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @PublicRoute()
  async login(
    @Body() body: LoginDto,
    @Caller() caller: RequestCaller,
    @Res({ passthrough: true }) response: Response,
  ): Promise<LoginResponse | PasswordChangeRequiredError | DirectorySignInRefusedError> {
    try {
      const reply = await unary(this.backends.auth.login(body, identityToMetadata(caller.identity)));
      if (!reply.user) throw new Error('auth answered a login without its user');
      return { token: reply.token, expiresAt: reply.expiresAt, user: reply.user };
    } catch (error) {
      // Answered here rather than by the error filter, whose "error" is always the status's phrase.
      const refusal = passwordChangeRequired(error);
      if (!refusal) throw error;
      response.status(HttpStatus.FORBIDDEN);
      return refusal;
    }
  }

  /**
   * Replaces the caller's password with the current one; no session needed (an account that must
   * change its password has none). Auth audits every attempt and answers a wrong username or
   * password with 401 like sign-in; the client then signs in with the new password.
   */
  @Post('password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @PublicRoute()
  async changePassword(@Body() body: ChangePasswordDto, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.auth.changePassword(body, identityToMetadata(caller.identity)));
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SignedInRoute()
  async logout(@Caller() caller: RequestCaller): Promise<void> {
    this.tokens.forget(caller.token);
    await unary(this.backends.auth.logout({ token: caller.token }, identityToMetadata(caller.identity)));
  }

  @Get('me')
  @SignedInRoute()
  me(@Caller() caller: RequestCaller): CurrentUser {
    return {
      userId: caller.identity.userId,
      username: caller.identity.username,
      displayName: caller.displayName,
      permissions: caller.identity.permissions.filter(isPermission),
      ...(caller.identity.grants ? { grants: [...caller.identity.grants] } : {}),
    };
  }

  @Get()
  @RequirePermission(Permission.UserView)
  async list(@Caller() caller: RequestCaller): Promise<ItemList<User>> {
    const reply = await unary(this.backends.auth.listUsers({}, identityToMetadata(caller.identity)));
    return { items: reply.items };
  }

  @Post()
  @RequirePermission(Permission.UserEdit)
  create(@Body() body: CreateUserDto, @Caller() caller: RequestCaller): Promise<User> {
    return unary(this.backends.auth.createUser(body, identityToMetadata(caller.identity)));
  }

  /*
   * Account administration (UserEdit). Auth audits each change and tells every gateway to drop the
   * user's cached credentials; on every node they are refused within a second.
   */

  @Post(':id/disable')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.UserEdit)
  @ApiOperation({
    summary: 'Disable a user',
    description:
      'The user can no longer sign in; their sessions end and their API keys stop working (until re-enabled), on every node within a second.',
  })
  @ApiParam({ name: 'id', description: 'User id' })
  @ApiOkResponse({ description: 'The user, now disabled' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'Your own account, or the last enabled Administrator' })
  disable(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<User> {
    return unary(this.backends.auth.disableUser({ userId: id }, identityToMetadata(caller.identity)));
  }

  @Post(':id/enable')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.UserEdit)
  @ApiOperation({
    summary: 'Re-enable a user',
    description: 'The user may sign in again and their API keys work again; ended sessions stay ended.',
  })
  @ApiParam({ name: 'id', description: 'User id' })
  @ApiOkResponse({ description: 'The user, now enabled' })
  @ApiNotFoundResponse({ description: 'No such user' })
  enable(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<User> {
    return unary(this.backends.auth.enableUser({ userId: id }, identityToMetadata(caller.identity)));
  }

  @Post(':id/sessions/revoke')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.UserEdit)
  @ApiOperation({
    summary: "End all of a user's sessions",
    description: 'Every session of the user ends on every node within a second; API keys are not affected.',
  })
  @ApiParam({ name: 'id', description: 'User id' })
  @ApiOkResponse({ description: 'How many sessions were ended' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async revokeSessions(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<RevokedSessions> {
    const reply = await unary(
      this.backends.auth.revokeUserSessions({ userId: id }, identityToMetadata(caller.identity)),
    );
    return { count: reply.count };
  }

  @Post(':id/password/reset')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.UserEdit)
  @ApiOperation({
    summary: "Reset a local user's password",
    description:
      'Sets the given password, ends the user’s sessions, and requires a change at the next sign-in (403 PasswordChangeRequired until then).',
  })
  @ApiParam({ name: 'id', description: 'User id' })
  @ApiOkResponse({ description: 'The user, now required to change the password' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'The account is not a local one (its password lives in a directory)' })
  resetPassword(
    @Param('id') id: string,
    @Body() body: ResetUserPasswordDto,
    @Caller() caller: RequestCaller,
  ): Promise<User> {
    return unary(
      this.backends.auth.resetUserPassword(
        { userId: id, newPassword: body.newPassword },
        identityToMetadata(caller.identity),
      ),
    );
  }
}
