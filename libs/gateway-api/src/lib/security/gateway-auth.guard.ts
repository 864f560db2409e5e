import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { ClientIpResolver } from './client-ip-resolver';
import type { GatewayRequest } from './gateway-request';
import { QUERY_TOKEN_ALLOWED, ROUTE_ACCESS, RouteAccess } from './route-access';
import { TokenValidator } from './token-validator';

const API_KEY_HEADER = 'x-octopus-apikey';

/** The presented credential: a bearer token, an API key header, or (SSE only) ?access_token=. */
export function credentialOf(request: GatewayRequest, allowQueryToken: boolean): string | undefined {
  const authorization = request.headers.authorization;
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  const apiKey = request.headers[API_KEY_HEADER];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  const queryToken: unknown = allowQueryToken ? request.query['access_token'] : undefined;
  if (typeof queryToken === 'string' && queryToken) return queryToken;
  return undefined;
}

/**
 * Authenticates the caller and enforces the route's declared access. Runs for every route; a route
 * that declares nothing is refused, so forgetting a decorator can never open a route.
 */
@Injectable()
export class GatewayAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenValidator,
    private readonly clientIp: ClientIpResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, targets);
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const origin = this.clientIp.origin(request);
    if (!access) throw new ForbiddenException('This route declares no permission');
    if (access.kind === 'public') {
      request.caller = {
        identity: { userId: '', username: '', ...origin, permissions: [] },
        displayName: '',
        token: '',
      };
      return true;
    }
    const allowQueryToken =
      this.reflector.getAllAndOverride<boolean | undefined>(QUERY_TOKEN_ALLOWED, targets) ?? false;
    const token = credentialOf(request, allowQueryToken);
    if (!token) throw new UnauthorizedException('Sign in, or send an API key in X-Octopus-ApiKey');
    const principal = await this.tokens.validate(token, origin.clientIp);
    request.caller = {
      identity: {
        userId: principal.userId,
        username: principal.username,
        ...origin,
        permissions: principal.permissions,
      },
      displayName: principal.displayName,
      token,
    };
    if (access.kind === 'permission' && !principal.permissions.includes(access.permission)) {
      throw new ForbiddenException(`This action requires the ${access.permission} permission`);
    }
    return true;
  }
}
