import { DatePipe } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { DeploymentStep, Environment, Permission, Release } from '@flotilla/api-interfaces';

import { ProjectsApi } from '../api/projects-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { permittedIn } from '../project/scoped-permission';
import { CreateReleaseComponent } from './create-release.component';
import { DeployFormComponent } from './deploy-form.component';

/** The project's releases, the form to create one, and deploying a chosen release. */
@Component({
  selector: 'flotilla-releases',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, CreateReleaseComponent, DeployFormComponent],
  template: `
    @if (canCreateRelease()) {
      <flotilla-create-release [projectId]="projectId()" [steps]="steps()" (created)="onCreated($event)" />
    }
    @if (loading()) {
      <p class="muted">Loading releases…</p>
    } @else if (error(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (releases().length === 0) {
      <p class="muted">No releases yet.</p>
    } @else {
      <table data-testid="releases-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Packages</th>
            <th>Notes</th>
            <th>Created</th>
            <th><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          @for (release of releases(); track release.id) {
            <tr data-testid="release-row" [attr.data-version]="release.version">
              <td>
                <strong>{{ release.version }}</strong>
              </td>
              <td>
                @for (pkg of release.packages; track pkg.stepName) {
                  <div>
                    <code>{{ pkg.packageId }}</code> {{ pkg.version }}
                  </div>
                } @empty {
                  <span class="muted">none</span>
                }
              </td>
              <td>{{ release.notes }}</td>
              <td>{{ release.createdAt | date: 'medium' }}</td>
              <td>
                @if (deployableEnvironments().length > 0) {
                  <button
                    type="button"
                    class="secondary"
                    (click)="deploying.set(release)"
                    data-testid="deploy-release"
                  >
                    Deploy…
                  </button>
                }
              </td>
            </tr>
          }
        </tbody>
      </table>
    }
    @if (deploying(); as release) {
      <flotilla-deploy-form
        [release]="release"
        [environments]="deployableEnvironments()"
        (closed)="deploying.set(null)"
      />
    }
  `,
})
export class ReleasesComponent {
  readonly projectId = input.required<string>();
  readonly steps = input<DeploymentStep[]>([]);
  readonly environments = input<Environment[]>([]);

  protected readonly session = inject(SessionService);
  protected readonly canCreateRelease = computed(() =>
    permittedIn(this.session, Permission.ReleaseCreate, { projectId: this.projectId() }),
  );
  /** Where this user may deploy this project: a team grant may allow some environments only. */
  protected readonly deployableEnvironments = computed(() =>
    this.environments().filter((environment) =>
      permittedIn(this.session, Permission.DeploymentCreate, {
        projectId: this.projectId(),
        environmentId: environment.id,
      }),
    ),
  );
  private readonly api = inject(ProjectsApi);
  protected readonly releases = signal<Release[]>([]);
  protected readonly deploying = signal<Release | null>(null);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);

  constructor() {
    effect(() => {
      const projectId = this.projectId();
      untracked(() => void this.load(projectId));
    });
  }

  protected onCreated(release: Release): void {
    this.releases.update((releases) => [release, ...releases]);
    // The usual next move after cutting a release is deploying it.
    if (this.deployableEnvironments().length > 0) this.deploying.set(release);
  }

  private async load(projectId: string): Promise<void> {
    this.loading.set(true);
    this.error.set(null);
    try {
      const releases = await this.api.listReleases(projectId);
      this.releases.set([...releases].sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
