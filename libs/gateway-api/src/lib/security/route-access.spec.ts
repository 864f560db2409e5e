import { Controller, Get, Post } from '@nestjs/common';

import { Permission } from '@flotilla/api-interfaces';

import { GATEWAY_CONTROLLERS } from '../gateway-controllers';
import { findUndeclaredRoutes, PublicRoute, RequirePermission, routeAccessOf } from './route-access';

@Controller('sample')
class SampleController {
  @Get()
  @RequirePermission(Permission.ProjectView)
  declared(): void {}

  @Post()
  forgotten(): void {}

  @Get('ping')
  @PublicRoute()
  open(): void {}

  /** Not a route: no decorator needed. */
  helper(): void {}
}

@Controller('guarded')
@RequirePermission(Permission.EventView)
class ClassLevelController {
  @Get()
  list(): void {}
}

describe(findUndeclaredRoutes.name, () => {
  it('finds a route with neither a permission nor @PublicRoute()', () => {
    expect(findUndeclaredRoutes([SampleController])).toEqual([
      expect.stringContaining('SampleController.forgotten'),
    ]);
  });

  it('accepts a permission declared on the controller', () => {
    expect(findUndeclaredRoutes([ClassLevelController])).toEqual([]);
    expect(routeAccessOf(ClassLevelController, ClassLevelController.prototype.list)).toEqual({
      kind: 'permission',
      permission: Permission.EventView,
    });
  });

  it('finds every gateway route declared', () => {
    expect(GATEWAY_CONTROLLERS.length).toBeGreaterThan(10);
    expect(findUndeclaredRoutes(GATEWAY_CONTROLLERS)).toEqual([]);
  });

  // Changing a password that must be changed happens before there is a session (auth checks the
  // current password itself), so it is public like sign-in.
  // The sign-in page asks which directory it signs in to before anyone is signed in (kind and
  // domain only, no secrets), so that is public too.
  it('keeps sign-in, the required password change, the sign-in providers, ping and nothing else public', () => {
    const publicRoutes = GATEWAY_CONTROLLERS.flatMap((controller) => {
      const prototype = controller.prototype as Record<string, unknown>;
      return Object.getOwnPropertyNames(prototype)
        .filter((name) => {
          const handler = prototype[name];
          return typeof handler === 'function' && routeAccessOf(controller, handler)?.kind === 'public';
        })
        .map((name) => `${controller.name}.${name}`);
    });
    expect(publicRoutes.sort()).toEqual([
      'HealthController.ping',
      'SignInProvidersController.get',
      'UsersController.changePassword',
      'UsersController.login',
    ]);
  });
});
