import { ChangeDetectionStrategy, Component, computed, inject, OnInit, signal } from '@angular/core';
import { ALL_ROLES, Permission, Role } from '@flotilla/api-interfaces';
import type { Environment, Project, Team, User } from '@flotilla/api-interfaces';

import { EnvironmentsApi } from '../api/environments-api';
import { ProjectsApi } from '../api/projects-api';
import { TeamsApi } from '../api/teams-api';
import { UsersApi } from '../api/users-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { TeamEditorComponent } from './team-editor.component';
import { definitionOf, describeGrant, draftOf, emptyDraft, TeamDraft } from './team-draft';

/**
 * Teams (route guarded by UserView): who is in each team (users, directory groups) and which roles
 * it grants where. Only a UserEdit holder sees the controls that change them; the API checks both.
 */
@Component({
  selector: 'flotilla-teams',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [TeamEditorComponent],
  template: `
    <h1>Teams</h1>
    @if (canEdit() && !editing()) {
      <button type="button" (click)="startCreate()" data-testid="team-new">New team</button>
    }
    @if (editing(); as draft) {
      <flotilla-team-editor
        [draft]="draft"
        [users]="users()"
        [projects]="projects()"
        [environments]="environments()"
        [roles]="roles"
        [busy]="busy()"
        [error]="actionError()"
        (save)="save($event)"
        (cancel)="editing.set(null)"
      />
    }
    @if (done(); as message) {
      <p class="ok" role="status" data-testid="team-done">{{ message }}</p>
    }
    @if (loading()) {
      <p class="muted">Loading teams…</p>
    } @else if (loadError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (teams().length === 0) {
      <p class="muted" data-testid="teams-empty">No teams yet.</p>
    } @else {
      <table data-testid="teams-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Members</th>
            <th>Grants</th>
            @if (canEdit()) {
              <th>Actions</th>
            }
          </tr>
        </thead>
        <tbody>
          @for (team of teams(); track team.id) {
            <tr data-testid="team-row" [attr.data-team]="team.name">
              <td>
                <strong>{{ team.name }}</strong>
                @if (team.description) {
                  <div class="muted">{{ team.description }}</div>
                }
              </td>
              <td data-testid="team-members">
                @for (member of team.members; track member.kind + member.id) {
                  <div>
                    {{ member.kind === 'group' ? 'Group' : 'User' }}: {{ member.displayName || member.id }}
                  </div>
                }
              </td>
              <td data-testid="team-grants">
                @for (grant of team.grants; track $index) {
                  <div>{{ grantText(grant) }}</div>
                }
              </td>
              @if (canEdit()) {
                <td class="actions">
                  <button type="button" class="link" (click)="startEdit(team)" data-testid="team-edit">
                    Edit
                  </button>
                  <button type="button" class="link danger" (click)="remove(team)" data-testid="team-delete">
                    Delete
                  </button>
                </td>
              }
            </tr>
          }
        </tbody>
      </table>
    }
  `,
})
export class TeamsPage implements OnInit {
  private readonly api = inject(TeamsApi);
  private readonly usersApi = inject(UsersApi);
  private readonly projectsApi = inject(ProjectsApi);
  private readonly environmentsApi = inject(EnvironmentsApi);
  private readonly session = inject(SessionService);
  protected readonly roles: readonly Role[] = ALL_ROLES;
  protected readonly teams = signal<Team[]>([]);
  protected readonly users = signal<User[]>([]);
  protected readonly projects = signal<Project[]>([]);
  protected readonly environments = signal<Environment[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<string | null>(null);
  protected readonly editing = signal<TeamDraft | null>(null);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<string | null>(null);
  protected readonly done = signal<string | null>(null);
  protected readonly canEdit = computed(() => this.session.can(Permission.UserEdit));
  private readonly names = computed(() => {
    const byId = new Map<string, string>();
    this.projects().forEach((project) => byId.set(project.id, project.name));
    this.environments().forEach((environment) => byId.set(environment.id, environment.name));
    return byId;
  });

  ngOnInit(): void {
    void this.load();
  }

  protected grantText(grant: Team['grants'][number]): string {
    return describeGrant(grant, (id) => this.names().get(id) ?? id);
  }

  protected startCreate(): void {
    this.done.set(null);
    this.actionError.set(null);
    this.editing.set(emptyDraft());
  }

  protected startEdit(team: Team): void {
    this.done.set(null);
    this.actionError.set(null);
    this.editing.set(draftOf(team));
  }

  protected async save(draft: TeamDraft): Promise<void> {
    this.busy.set(true);
    this.actionError.set(null);
    try {
      const definition = definitionOf(draft);
      const saved = draft.id
        ? await this.api.update(draft.id, definition)
        : await this.api.create(definition);
      this.editing.set(null);
      await this.load();
      this.done.set(`Team ${saved.name} is saved; its members have these grants within a second.`);
    } catch (error: unknown) {
      this.actionError.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  protected async remove(team: Team): Promise<void> {
    if (!confirm(`Delete the team ${team.name}? Its members lose its grants.`)) return;
    this.done.set(null);
    try {
      await this.api.delete(team.id);
      await this.load();
      this.done.set(`Team ${team.name} is deleted.`);
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    }
  }

  private async load(): Promise<void> {
    try {
      // Users, projects and environments name what the teams hold; a viewer without ProjectView
      // (or EnvironmentView) sees ids instead of names.
      const [teams, users, projects, environments] = await Promise.all([
        this.api.list(),
        this.usersApi.list(),
        this.session.can(Permission.ProjectView) ? this.projectsApi.list() : Promise.resolve([]),
        this.session.can(Permission.EnvironmentView) ? this.environmentsApi.list() : Promise.resolve([]),
      ]);
      this.teams.set(teams);
      this.users.set(users);
      this.projects.set(projects);
      this.environments.set(environments);
      this.loadError.set(null);
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
