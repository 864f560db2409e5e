import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import type { Permission } from '@flotilla/api-interfaces';

import { SessionService } from './session.service';
import { TokenStore } from './token-store';

/** Lets signed-in users through, loading their permissions once; everyone else goes to sign-in. */
export const signedInGuard: CanActivateFn = async (_route, state) => {
  const tokens = inject(TokenStore);
  const session = inject(SessionService);
  const router = inject(Router);
  const toSignIn = router.createUrlTree(['/sign-in'], { queryParams: { returnUrl: state.url } });
  if (!tokens.token()) return toSignIn;
  if (session.user()) return true;
  try {
    await session.loadCurrentUser();
    return true;
  } catch {
    session.forget();
    return toSignIn;
  }
};

/** For pages only some users may see (the shell hides their links too). */
export function permissionGuard(permission: Permission): CanActivateFn {
  return () => {
    const session = inject(SessionService);
    return session.can(permission) || inject(Router).createUrlTree(['/projects']);
  };
}
