import { applyDecorators, SetMetadata, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';

import type { Permission } from '@flotilla/api-interfaces';

import type { StreamTicketPurpose } from './stream-tickets/stream-ticket';

/** What a route asks of its caller. Exactly one access decorator per route; a test holds that. */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'signed-in' }
  | { kind: 'permission'; permission: Permission };

export const ROUTE_ACCESS = 'flotilla:route-access';
/**
 * Routes read by browsers' EventSource, which cannot send headers, take a single-use stream ticket
 * in `?ticket=` instead. A session token or API key is never read from a URL.
 */
export const STREAM_TICKET_ROUTE = 'flotilla:stream-ticket-route';

/** What a stream route accepts: tickets of this purpose, for the resource named by this route parameter. */
export interface StreamTicketRoute {
  purpose: StreamTicketPurpose;
  resourceParam: string;
}

export const SECURITY_SCHEMES = { bearer: 'bearer', apiKey: 'api-key' } as const;

const securedRoute = () =>
  [
    ApiSecurity(SECURITY_SCHEMES.bearer),
    ApiSecurity(SECURITY_SCHEMES.apiKey),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired credentials.' }),
  ] as const;

/** The caller needs this permission (403 naming it otherwise). */
export function RequirePermission(permission: Permission): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata<string, RouteAccess>(ROUTE_ACCESS, { kind: 'permission', permission }),
    ...securedRoute(),
    ApiForbiddenResponse({ description: `Requires the ${permission} permission.` }),
  );
}

/** Any signed-in caller, whatever their permissions (their own profile, signing out). */
export function SignedInRoute(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata<string, RouteAccess>(ROUTE_ACCESS, { kind: 'signed-in' }),
    ...securedRoute(),
  );
}

/** No credentials needed (sign-in, load-balancer ping). */
export function PublicRoute(): MethodDecorator & ClassDecorator {
  return SetMetadata<string, RouteAccess>(ROUTE_ACCESS, { kind: 'public' });
}

/** The route also opens with a `?ticket=` minted for `purpose` and the resource in `:resourceParam`. */
export function AcceptStreamTicket(purpose: StreamTicketPurpose, resourceParam: string): MethodDecorator {
  return SetMetadata<string, StreamTicketRoute>(STREAM_TICKET_ROUTE, { purpose, resourceParam });
}

/** Reads a route's access declaration; the method's own wins over its controller's. */
export function routeAccessOf(controller: Type, handler: object): RouteAccess | undefined {
  return (
    (Reflect.getMetadata(ROUTE_ACCESS, handler) as RouteAccess | undefined) ??
    (Reflect.getMetadata(ROUTE_ACCESS, controller) as RouteAccess | undefined)
  );
}

/** "GET /projects/:id"-style names of the routes of these controllers that declare no access. */
export function findUndeclaredRoutes(controllers: readonly Type[]): string[] {
  const undeclared: string[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      if (routeAccessOf(controller, handler)) continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as number;
      undeclared.push(`${controller.name}.${name} (method ${method})`);
    }
  }
  return undeclared;
}
