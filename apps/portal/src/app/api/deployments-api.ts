import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { CreateDeploymentRequest, Deployment } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

@Injectable({ providedIn: 'root' })
export class DeploymentsApi {
  private readonly http = inject(HttpClient);

  create(request: CreateDeploymentRequest): Promise<Deployment> {
    return firstValueFrom(this.http.post<Deployment>('/api/deployments', request));
  }
}
