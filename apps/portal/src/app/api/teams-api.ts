import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ItemList, Team, TeamDefinition } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

/** Teams (UserView to read, UserEdit to change); a change holds on every node within a second. */
@Injectable({ providedIn: 'root' })
export class TeamsApi {
  private readonly http = inject(HttpClient);

  async list(): Promise<Team[]> {
    return (await firstValueFrom(this.http.get<ItemList<Team>>('/api/teams'))).items;
  }

  create(team: TeamDefinition): Promise<Team> {
    return firstValueFrom(this.http.post<Team>('/api/teams', team));
  }

  update(id: string, team: TeamDefinition): Promise<Team> {
    return firstValueFrom(this.http.put<Team>(`/api/teams/${encodeURIComponent(id)}`, team));
  }

  delete(id: string): Promise<void> {
    return firstValueFrom(this.http.delete<void>(`/api/teams/${encodeURIComponent(id)}`));
  }
}
