import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  CreateProjectRequest,
  CreateReleaseRequest,
  DeploymentProcess,
  ItemList,
  Project,
  Release,
  UpdateDeploymentProcessRequest,
  UpdateVariablesRequest,
  VariableSet,
} from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

/** Projects and what hangs off them: deployment process, variables, releases. */
@Injectable({ providedIn: 'root' })
export class ProjectsApi {
  private readonly http = inject(HttpClient);

  async list(): Promise<Project[]> {
    return (await firstValueFrom(this.http.get<ItemList<Project>>('/api/projects'))).items;
  }

  get(projectId: string): Promise<Project> {
    return firstValueFrom(this.http.get<Project>(`/api/projects/${encodeURIComponent(projectId)}`));
  }

  create(request: CreateProjectRequest): Promise<Project> {
    return firstValueFrom(this.http.post<Project>('/api/projects', request));
  }

  getProcess(projectId: string): Promise<DeploymentProcess> {
    return firstValueFrom(this.http.get<DeploymentProcess>(`${this.base(projectId)}/deploymentprocess`));
  }

  saveProcess(projectId: string, request: UpdateDeploymentProcessRequest): Promise<DeploymentProcess> {
    return firstValueFrom(
      this.http.put<DeploymentProcess>(`${this.base(projectId)}/deploymentprocess`, request),
    );
  }

  getVariables(projectId: string): Promise<VariableSet> {
    return firstValueFrom(this.http.get<VariableSet>(`${this.base(projectId)}/variables`));
  }

  saveVariables(projectId: string, request: UpdateVariablesRequest): Promise<VariableSet> {
    return firstValueFrom(this.http.put<VariableSet>(`${this.base(projectId)}/variables`, request));
  }

  async listReleases(projectId: string): Promise<Release[]> {
    return (await firstValueFrom(this.http.get<ItemList<Release>>(`${this.base(projectId)}/releases`))).items;
  }

  createRelease(projectId: string, request: CreateReleaseRequest): Promise<Release> {
    return firstValueFrom(this.http.post<Release>(`${this.base(projectId)}/releases`, request));
  }

  private base(projectId: string): string {
    return `/api/projects/${encodeURIComponent(projectId)}`;
  }
}
