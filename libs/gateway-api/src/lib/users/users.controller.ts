import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import {
  CurrentUser,
  isPermission,
  ItemList,
  LoginResponse,
  Permission,
  User,
} from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { PublicRoute, RequirePermission, SignedInRoute } from '../security/route-access';
import { TokenValidator } from '../security/token-validator';
import { CreateUserDto, LoginDto } from './users.dto';

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
  async login(@Body() body: LoginDto, @Caller() caller: RequestCaller): Promise<LoginResponse> {
    const reply = await unary(this.backends.auth.login(body, identityToMetadata(caller.identity)));
    if (!reply.user) throw new Error('auth answered a login without its user');
    return { token: reply.token, expiresAt: reply.expiresAt, user: reply.user };
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
