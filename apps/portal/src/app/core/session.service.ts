import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { computed, inject, Injectable, signal } from '@angular/core';
import type { CurrentUser, LoginRequest, LoginResponse, Permission } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

import { TokenStore } from './token-store';

/** POST /api/users/password. */
export interface PasswordChangeRequest {
  username: string;
  currentPassword: string;
  newPassword: string;
}

/** The error name of the 403 a sign-in gets when its account must change its password first. */
export const PASSWORD_CHANGE_REQUIRED = 'PasswordChangeRequired';

/** Whether a failed sign-in was refused only because the password must be changed first. */
export function isPasswordChangeRequired(error: unknown): boolean {
  if (!(error instanceof HttpErrorResponse) || error.status !== 403) return false;
  const body: unknown = error.error;
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { error?: unknown }).error === PASSWORD_CHANGE_REQUIRED
  );
}

/** Who is signed in and what they may do (from GET /api/users/me). */
@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly http = inject(HttpClient);
  private readonly tokens = inject(TokenStore);
  private readonly currentUser = signal<CurrentUser | null>(null);
  private readonly granted = computed(() => new Set<string>(this.currentUser()?.permissions ?? []));

  readonly user = this.currentUser.asReadonly();
  readonly isSignedIn = computed(() => this.tokens.token() !== null);

  /** Reactive when read in a template or computed: re-evaluates when the user changes. */
  can(permission: Permission): boolean {
    return this.granted().has(permission);
  }

  async signIn(request: LoginRequest): Promise<void> {
    const response = await firstValueFrom(this.http.post<LoginResponse>('/api/users/login', request));
    this.tokens.set(response.token);
    await this.loadCurrentUser();
  }

  /** Replaces a password with the current one (no session needed); sign in afterwards. */
  async changePassword(request: PasswordChangeRequest): Promise<void> {
    await firstValueFrom(this.http.post<unknown>('/api/users/password', request));
  }

  async loadCurrentUser(): Promise<CurrentUser> {
    const user = await firstValueFrom(this.http.get<CurrentUser>('/api/users/me'));
    this.currentUser.set(user);
    return user;
  }

  async signOut(): Promise<void> {
    try {
      await firstValueFrom(this.http.post<unknown>('/api/users/logout', {}));
    } catch {
      // The session may already be gone on the server; signing out locally is what matters.
    } finally {
      this.forget();
    }
  }

  forget(): void {
    this.tokens.clear();
    this.currentUser.set(null);
  }
}
