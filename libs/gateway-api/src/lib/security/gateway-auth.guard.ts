import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import {
  assertGrantsFitCallerToken,
  CallerTokenTooLarge,
  grantsFromWire,
  shapedProvenance,
} from '@flotilla/platform/grpc';

import { ClientIpResolver, RequestSourceOrigin } from './client-ip-resolver';
import type { GatewayRequest, RequestCaller } from './gateway-request';
import { ROUTE_ACCESS, RouteAccess, STREAM_TICKET_ROUTE, StreamTicketRoute } from './route-access';
import { StreamTickets } from './stream-tickets/stream-tickets.service';
import { requestIdOf } from './request-id';
import { TokenValidator } from './token-validator';

/** Where the request came from, and its id: every identity built for it carries both. */
type RequestOrigin = RequestSourceOrigin & { requestId: string };

const API_KEY_HEADER = 'x-octopus-apikey';

/**
 * The presented credential: a bearer token or an API key header. Never a query parameter: a URL
 * ends up in proxy logs, browser history and Referer headers (EventSource routes take a stream
 * ticket instead, see AcceptStreamTicket).
 */
export function credentialOf(request: GatewayRequest): string | undefined {
  const authorization = request.headers.authorization;
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  const apiKey = request.headers[API_KEY_HEADER];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  return undefined;
}

/**
 * Authenticates the caller and enforces the route's declared access. Runs for every route; a route
 * that declares nothing is refused, so forgetting a decorator can never open a route.
 */
@Injectable()
export class GatewayAuthGuard implements CanActivate {
  private readonly logger = new Logger('GatewayAuth');

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenValidator,
    private readonly clientIp: ClientIpResolver,
    private readonly tickets: StreamTickets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, targets);
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const origin: RequestOrigin = { ...this.clientIp.origin(request), requestId: requestIdOf(request) };
    if (!access) throw new ForbiddenException('This route declares no permission');
    if (access.kind === 'public') {
      request.caller = {
        identity: { userId: '', username: '', ...origin, permissions: [] },
        displayName: '',
        token: '',
      };
      return true;
    }
    const ticketRoute = this.reflector.getAllAndOverride<StreamTicketRoute | undefined>(
      STREAM_TICKET_ROUTE,
      targets,
    );
    const ticket: unknown = ticketRoute ? request.query['ticket'] : undefined;
    request.caller =
      typeof ticket === 'string' && ticketRoute
        ? await this.callerFromTicket(request, ticket, ticketRoute, origin)
        : await this.callerFromCredential(request, origin);
    this.refuseGrantsBeyondCallerToken(request.caller);
    const { permissions } = request.caller.identity;
    if (access.kind === 'permission' && !permissions.includes(access.permission)) {
      throw new ForbiddenException(`This action requires the ${access.permission} permission`);
    }
    return true;
  }

  private async callerFromCredential(request: GatewayRequest, origin: RequestOrigin): Promise<RequestCaller> {
    const token = credentialOf(request);
    if (!token) throw new UnauthorizedException('Sign in, or send an API key in X-Octopus-ApiKey');
    const principal = await this.tokens.validate(token, origin.clientIp);
    const grants = grantsFromWire(principal.grants);
    return {
      identity: {
        userId: principal.userId,
        username: principal.username,
        ...origin,
        permissions: principal.permissions,
        ...(grants ? { grants } : {}),
        // How they signed in and with which key, for the audit trail (auth's answer, validated).
        ...shapedProvenance({ signInMethod: principal.signInMethod, apiKeyId: principal.apiKeyId }),
      },
      displayName: principal.displayName,
      token,
    };
  }

  /**
   * A user whose team grants would not fit the signed caller token (more distinct projects and
   * environments than it carries) is refused here, with the account's numbers and what an
   * administrator can change, and logged: every service would refuse the token, and the user
   * would see a failure of whatever the route calls first.
   */
  private refuseGrantsBeyondCallerToken(caller: RequestCaller): void {
    try {
      assertGrantsFitCallerToken(caller.identity.grants);
    } catch (error) {
      if (!(error instanceof CallerTokenTooLarge)) throw error;
      this.logger.warn(`Refused ${caller.identity.username} (${caller.identity.userId}): ${error.message}`);
      throw new ForbiddenException(error.message);
    }
  }

  /** The ticket's minting user, once; the ticket is spent whether or not the rest succeeds. */
  private async callerFromTicket(
    request: GatewayRequest,
    ticket: string,
    route: StreamTicketRoute,
    origin: RequestOrigin,
  ): Promise<RequestCaller> {
    const resourceId = String(request.params[route.resourceParam] ?? '');
    const record = await this.tickets.redeem(ticket, route.purpose, resourceId);
    // Credentials sent beside a ticket must be its owner's: a ticket never lends one user's rights to another.
    const token = credentialOf(request);
    if (token && (await this.tokens.validate(token, origin.clientIp)).userId !== record.userId) {
      throw new UnauthorizedException('This stream ticket was issued to another user');
    }
    return {
      identity: {
        userId: record.userId,
        username: record.username,
        ...origin,
        permissions: record.permissions,
        // Its minting user's scope too: without it the holder would be unrestricted on the stream.
        ...(record.grants ? { grants: record.grants } : {}),
      },
      displayName: record.displayName,
      token: '',
    };
  }
}
