import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ItemList, ResetUserPasswordRequest, RevokedSessions, User } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

/** Account administration (UserView to list, UserEdit for the rest); each change holds on every node within a second. */
@Injectable({ providedIn: 'root' })
export class UsersApi {
  private readonly http = inject(HttpClient);

  async list(): Promise<User[]> {
    return (await firstValueFrom(this.http.get<ItemList<User>>('/api/users'))).items;
  }

  disable(userId: string): Promise<User> {
    return firstValueFrom(this.http.post<User>(`/api/users/${encodeURIComponent(userId)}/disable`, {}));
  }

  enable(userId: string): Promise<User> {
    return firstValueFrom(this.http.post<User>(`/api/users/${encodeURIComponent(userId)}/enable`, {}));
  }

  revokeSessions(userId: string): Promise<RevokedSessions> {
    return firstValueFrom(
      this.http.post<RevokedSessions>(`/api/users/${encodeURIComponent(userId)}/sessions/revoke`, {}),
    );
  }

  resetPassword(userId: string, request: ResetUserPasswordRequest): Promise<User> {
    return firstValueFrom(
      this.http.post<User>(`/api/users/${encodeURIComponent(userId)}/password/reset`, request),
    );
  }
}
