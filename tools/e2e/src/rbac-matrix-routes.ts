import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';

import { dimensionsOf, Permission } from '@flotilla/api-interfaces';
// The matrix reads the routes the gateway really declares (its controllers' metadata), so a new
// route without a row fails: a test reading another project's declarations, not depending on it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { GATEWAY_CONTROLLERS, RouteAccess, routeAccessOf } from '@flotilla/gateway-api';

/** One REST route as its controller declares it: "GET /api/projects/:id" and what it asks for. */
export interface DeclaredRoute {
  key: string;
  access: RouteAccess | undefined;
}

function joined(...parts: unknown[]): string {
  return parts
    .filter((part): part is string => typeof part === 'string')
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '')
    .join('/');
}

/** Every route of the gateway, read from the same metadata Nest routes by (findUndeclaredRoutes). */
export function declaredRoutes(controllers: readonly Type[] = GATEWAY_CONTROLLERS): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const base: unknown = Reflect.getMetadata(PATH_METADATA, controller);
      routes.push({
        key: `${method} /${joined('api', base, path)}`,
        access: routeAccessOf(controller, handler),
      });
    }
  }
  return routes;
}

/** The permission a route needs, if it needs one. */
export function permissionOf(route: DeclaredRoute): Permission | undefined {
  return route.access?.kind === 'permission' ? route.access.permission : undefined;
}

/** Permissions that hold on a project and/or environment (the rest are system-wide). */
export function isScopedPermission(permission: Permission): boolean {
  return dimensionsOf(permission).length > 0;
}
