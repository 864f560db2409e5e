import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ClusterNode, ItemList, NodeDiagnostics, UpdateNodeRequest } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

@Injectable({ providedIn: 'root' })
export class NodesApi {
  private readonly http = inject(HttpClient);

  async list(): Promise<ClusterNode[]> {
    return (await firstValueFrom(this.http.get<ItemList<ClusterNode>>('/api/nodes'))).items;
  }

  /** What the node that answers (the one behind the load balancer this time) sees of shared storage. */
  diagnostics(): Promise<NodeDiagnostics> {
    return firstValueFrom(this.http.get<NodeDiagnostics>('/api/health/diagnostics'));
  }

  update(name: string, request: UpdateNodeRequest): Promise<ClusterNode> {
    return firstValueFrom(this.http.put<ClusterNode>(`/api/nodes/${encodeURIComponent(name)}`, request));
  }

  async remove(name: string): Promise<void> {
    await firstValueFrom(this.http.delete<void>(`/api/nodes/${encodeURIComponent(name)}`));
  }
}
