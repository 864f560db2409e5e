import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';

import { TokenStore } from './token-store';

const LOGIN_URL = '/api/users/login';
/** A wrong current password here is a 401 too, reported by the sign-in page's change form. */
const CHANGE_PASSWORD_URL = '/api/users/password';

/** Adds the bearer token to API calls; a 401 means the session is gone, so back to sign-in. */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const tokens = inject(TokenStore);
  const router = inject(Router);
  const token = tokens.token();
  const authorised =
    token && request.url.startsWith('/api/')
      ? request.clone({ setHeaders: { Authorization: `Bearer ${token}` } })
      : request;
  return next(authorised).pipe(
    catchError((error: unknown) => {
      // A failed sign-in is also a 401; that one the sign-in page reports itself.
      const signingIn = request.url === LOGIN_URL || request.url === CHANGE_PASSWORD_URL;
      if (error instanceof HttpErrorResponse && error.status === 401 && !signingIn) {
        tokens.clear();
        const returnUrl = router.url.startsWith('/sign-in') ? undefined : router.url;
        void router.navigate(['/sign-in'], { queryParams: { returnUrl } });
      }
      return throwError(() => error);
    }),
  );
};
