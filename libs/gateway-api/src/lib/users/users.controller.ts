import { status } from '@grpc/grpc-js';
import { Body, Controller, Get, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiTags } from '@nestjs/swagger';

import {
  CurrentUser,
  isPermission,
  ItemList,
  LoginResponse,
  Permission,
  User,
} from '@flotilla/api-interfaces';
import { identityToMetadata, rpcErrorDetails } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { PublicRoute, RequirePermission, SignedInRoute } from '../security/route-access';
import { TokenValidator } from '../security/token-validator';
import { ChangePasswordDto, CreateUserDto, LoginDto } from './users.dto';

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

function passwordChangeRequired(error: unknown): PasswordChangeRequiredError | undefined {
  const details = rpcErrorDetails(error);
  if (
    details?.code !== status.PERMISSION_DENIED ||
    !details.message.startsWith(`${PASSWORD_CHANGE_REQUIRED}:`)
  )
    return undefined;
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
  ): Promise<LoginResponse | PasswordChangeRequiredError> {
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
}
