import { ChangeDetectionStrategy, Component, effect, inject, input, signal, untracked } from '@angular/core';
import { RouterLink } from '@angular/router';
import { DeploymentProcess, Environment, Permission, Project } from '@flotilla/api-interfaces';

import { EnvironmentsApi } from '../api/environments-api';
import { ProjectsApi } from '../api/projects-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { ReleasesComponent } from '../releases/releases.component';
import { ProcessEditorComponent } from './process-editor.component';
import { permittedIn, permittedInSomeEnvironment } from './scoped-permission';
import { VariablesEditorComponent } from './variables-editor.component';

/** One project: its deployment process, variables and releases (and deploying them). */
@Component({
  selector: 'flotilla-project',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, ProcessEditorComponent, VariablesEditorComponent, ReleasesComponent],
  template: `
    <p class="breadcrumb"><a routerLink="/projects">Projects</a> /</p>
    @if (loading()) {
      <p class="muted">Loading project…</p>
    } @else if (error(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (project(); as project) {
      <h1 data-testid="project-name">{{ project.name }}</h1>
      @if (project.description) {
        <p class="muted">{{ project.description }}</p>
      }
      @if (process(); as process) {
        <section class="card">
          <h2>Deployment process</h2>
          <flotilla-process-editor
            [process]="process"
            [canEdit]="may(permission.ProcessEdit, project.id)"
            (saved)="onProcessSaved($event)"
          />
        </section>
      }
      @if (mayInSomeEnvironment(permission.VariableView, project.id)) {
        <section class="card">
          <h2>Variables</h2>
          <flotilla-variables-editor
            [projectId]="project.id"
            [environments]="environments()"
            [canEdit]="mayInSomeEnvironment(permission.VariableEdit, project.id)"
          />
        </section>
      }
      @if (may(permission.ReleaseView, project.id)) {
        <section class="card">
          <h2>Releases</h2>
          <flotilla-releases
            [projectId]="project.id"
            [steps]="process()?.steps ?? []"
            [environments]="environments()"
          />
        </section>
      }
    }
  `,
})
export class ProjectPage {
  /** From the route (:projectId). */
  readonly projectId = input.required<string>();

  protected readonly session = inject(SessionService);
  protected readonly permission = Permission;
  private readonly projectsApi = inject(ProjectsApi);
  private readonly environmentsApi = inject(EnvironmentsApi);

  protected readonly project = signal<Project | null>(null);
  protected readonly process = signal<DeploymentProcess | null>(null);
  protected readonly environments = signal<Environment[]>([]);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);

  constructor() {
    effect(() => {
      const projectId = this.projectId();
      untracked(() => void this.load(projectId));
    });
  }

  /** On this project, not merely somewhere (a team grant may be restricted to other projects). */
  protected may(permission: Permission, projectId: string): boolean {
    return permittedIn(this.session, permission, { projectId });
  }

  /** Variables are scoped by environment too: which rows are editable is the editor's business. */
  protected mayInSomeEnvironment(permission: Permission, projectId: string): boolean {
    return permittedInSomeEnvironment(this.session, permission, projectId);
  }

  protected onProcessSaved(process: DeploymentProcess): void {
    this.process.set(process);
  }

  private async load(projectId: string): Promise<void> {
    this.loading.set(true);
    this.error.set(null);
    try {
      const canSeeEnvironments = this.session.can(Permission.EnvironmentView);
      const [project, process, environments] = await Promise.all([
        this.projectsApi.get(projectId),
        this.projectsApi.getProcess(projectId),
        canSeeEnvironments ? this.environmentsApi.list() : Promise.resolve([]),
      ]);
      this.project.set(project);
      this.process.set(process);
      this.environments.set(environments);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
