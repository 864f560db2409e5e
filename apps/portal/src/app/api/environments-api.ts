import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { CreateEnvironmentRequest, Environment, ItemList } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

@Injectable({ providedIn: 'root' })
export class EnvironmentsApi {
  private readonly http = inject(HttpClient);

  async list(): Promise<Environment[]> {
    return (await firstValueFrom(this.http.get<ItemList<Environment>>('/api/environments'))).items;
  }

  create(request: CreateEnvironmentRequest): Promise<Environment> {
    return firstValueFrom(this.http.post<Environment>('/api/environments', request));
  }
}
