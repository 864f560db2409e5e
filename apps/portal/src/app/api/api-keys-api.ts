import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ApiKey, CreateApiKeyRequest, CreatedApiKey, ItemList } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

/** The signed-in user's own API keys (ApiKeyEdit); auth scopes every call to the caller. */
@Injectable({ providedIn: 'root' })
export class ApiKeysApi {
  private readonly http = inject(HttpClient);

  /** Keys not revoked, expired ones included and marked (judged by the database clock). */
  async list(): Promise<ApiKey[]> {
    return (await firstValueFrom(this.http.get<ItemList<ApiKey>>('/api/apikeys'))).items;
  }

  /** The answer carries the secret, which the API never returns again. */
  create(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
    return firstValueFrom(this.http.post<CreatedApiKey>('/api/apikeys', request));
  }

  async revoke(keyId: string): Promise<void> {
    await firstValueFrom(this.http.delete<unknown>(`/api/apikeys/${encodeURIComponent(keyId)}`));
  }
}
