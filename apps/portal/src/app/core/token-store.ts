import { Injectable, signal } from '@angular/core';

const TOKEN_KEY = 'flotilla.session-token';

/**
 * The session token. Kept in sessionStorage so a reload keeps the user signed in, while closing
 * the tab (or browser) ends it; it has no dependencies so the HTTP interceptor can use it freely.
 */
@Injectable({ providedIn: 'root' })
export class TokenStore {
  private readonly current = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));
  readonly token = this.current.asReadonly();

  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    this.current.set(token);
  }

  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    this.current.set(null);
  }
}
