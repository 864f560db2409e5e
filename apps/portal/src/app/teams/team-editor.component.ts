import { ChangeDetectionStrategy, Component, computed, input, output, signal, OnInit } from '@angular/core';
import type { Environment, Project, TeamMember, User } from '@flotilla/api-interfaces';

import { draftProblem, GrantDraft, newGrant, TeamDraft } from './team-draft';

type Scope = 'projects' | 'environments';

/**
 * How the form offers one scope of a grant: an "every …" box, and while it is unticked a box for
 * each item. Projects and environments are offered alike, so one template block serves both.
 */
interface ScopeChoice {
  readonly scope: Scope;
  readonly everyLabel: string;
  readonly everyTestId: string;
  readonly itemTestId: string;
  readonly items: readonly { readonly id: string; readonly name: string }[];
}

/**
 * The form of one team: name, description, members (users picked from the accounts, directory
 * groups by their id and a name to show) and grants (a role, every project or some, every
 * environment or some). Works on its own copy of the draft; `save` hands it back.
 */
@Component({
  selector: 'flotilla-team-editor',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="card" (submit)="submit($event)" data-testid="team-form">
      <div class="field">
        <label for="team-name">Name</label>
        <input id="team-name" [value]="name()" (input)="name.set(value($event))" data-testid="team-name" />
      </div>
      <div class="field">
        <label for="team-description">Description</label>
        <input
          id="team-description"
          [value]="description()"
          (input)="description.set(value($event))"
          data-testid="team-description"
        />
      </div>

      <h2>Members</h2>
      <ul data-testid="team-form-members">
        @for (member of members(); track member.kind + member.id) {
          <li data-testid="team-form-member">
            {{ member.kind === 'group' ? 'Group' : 'User' }}: {{ memberName(member) }}
            <button type="button" class="link danger" (click)="removeMember(member)">Remove</button>
          </li>
        }
      </ul>
      <div class="inline-form">
        <label for="team-add-user">User</label>
        <select id="team-add-user" #userPick data-testid="team-add-user">
          @for (user of users(); track user.id) {
            <option [value]="user.id">{{ user.username }} ({{ user.displayName }})</option>
          }
        </select>
        <button
          type="button"
          class="secondary"
          (click)="addUser(userPick.value)"
          data-testid="team-add-user-button"
        >
          Add user
        </button>
      </div>
      <div class="inline-form">
        <label for="team-group-id">Directory group id</label>
        <input id="team-group-id" #groupId placeholder="S-1-5-21-…" data-testid="team-group-id" />
        <label for="team-group-name">Name</label>
        <input id="team-group-name" #groupName data-testid="team-group-name" />
        <button
          type="button"
          class="secondary"
          (click)="addGroup(groupId.value, groupName.value); groupId.value = ''; groupName.value = ''"
          data-testid="team-add-group"
        >
          Add group
        </button>
      </div>

      <h2>Grants</h2>
      @for (grant of grants(); track $index; let index = $index) {
        <fieldset class="card" data-testid="team-form-grant">
          <div class="field">
            <label [for]="'grant-role-' + index">Role</label>
            <select
              [id]="'grant-role-' + index"
              (change)="setRole(index, value($event))"
              data-testid="team-grant-role"
            >
              @for (role of roles(); track role) {
                <option [value]="role" [selected]="role === grant.role">{{ role }}</option>
              }
            </select>
          </div>
          @for (choice of scopeChoices(); track choice.scope) {
            <label>
              <input
                type="checkbox"
                [checked]="coversAll(grant, choice.scope)"
                (change)="setAll(index, choice.scope, checked($event))"
                [attr.data-testid]="choice.everyTestId"
              />
              {{ choice.everyLabel }}
            </label>
            @if (!coversAll(grant, choice.scope)) {
              @for (item of choice.items; track item.id) {
                <label>
                  <input
                    type="checkbox"
                    [checked]="pickedIds(grant, choice.scope).includes(item.id)"
                    (change)="toggle(index, choice.scope, item.id, checked($event))"
                    [attr.data-testid]="choice.itemTestId"
                    [attr.data-name]="item.name"
                  />
                  {{ item.name }}
                </label>
              }
            }
          }
          <button type="button" class="link danger" (click)="removeGrant(index)">Remove grant</button>
        </fieldset>
      }
      <button type="button" class="secondary" (click)="addGrant()" data-testid="team-add-grant">
        Add grant
      </button>

      @if (problem() ?? error(); as message) {
        <p class="error" role="alert" data-testid="team-error">{{ message }}</p>
      }
      <div>
        <button type="submit" [disabled]="busy()" data-testid="team-save">
          {{ busy() ? 'Saving…' : 'Save' }}
        </button>
        <button type="button" class="secondary" (click)="cancel.emit()">Cancel</button>
      </div>
    </form>
  `,
})
export class TeamEditorComponent implements OnInit {
  readonly draft = input.required<TeamDraft>();
  readonly users = input.required<User[]>();
  readonly projects = input.required<Project[]>();
  readonly environments = input.required<Environment[]>();
  readonly roles = input.required<readonly string[]>();
  readonly busy = input(false);
  readonly error = input<string | null>(null);
  readonly save = output<TeamDraft>();
  readonly cancel = output<void>();

  protected readonly name = signal('');
  protected readonly description = signal('');
  protected readonly members = signal<TeamMember[]>([]);
  protected readonly grants = signal<GrantDraft[]>([]);
  protected readonly problem = signal<string | undefined>(undefined);
  protected readonly scopeChoices = computed((): readonly ScopeChoice[] => [
    {
      scope: 'projects',
      everyLabel: 'Every project',
      everyTestId: 'team-grant-all-projects',
      itemTestId: 'team-grant-project',
      items: this.projects(),
    },
    {
      scope: 'environments',
      everyLabel: 'Every environment',
      everyTestId: 'team-grant-all-environments',
      itemTestId: 'team-grant-environment',
      items: this.environments(),
    },
  ]);
  private readonly userNames = computed(() => new Map(this.users().map((user) => [user.id, user.username])));

  ngOnInit(): void {
    const draft = this.draft();
    this.name.set(draft.name);
    this.description.set(draft.description);
    this.members.set(draft.members.map((member) => ({ ...member })));
    this.grants.set(draft.grants.map((grant) => ({ ...grant })));
  }

  protected value(event: Event): string {
    return (event.target as HTMLInputElement | HTMLSelectElement).value;
  }

  protected checked(event: Event): boolean {
    return (event.target as HTMLInputElement).checked;
  }

  protected memberName(member: TeamMember): string {
    if (member.kind === 'user') return this.userNames().get(member.id) ?? member.displayName ?? member.id;
    return member.displayName ? `${member.displayName} (${member.id})` : member.id;
  }

  protected addUser(id: string): void {
    if (!id || this.members().some((member) => member.kind === 'user' && member.id === id)) return;
    this.members.update((members) => [...members, { kind: 'user', id }]);
  }

  protected addGroup(id: string, name: string): void {
    const groupId = id.trim();
    if (!groupId || this.members().some((member) => member.kind === 'group' && member.id === groupId)) return;
    const displayName = name.trim();
    this.members.update((members) => [
      ...members,
      { kind: 'group', id: groupId, ...(displayName ? { displayName } : {}) },
    ]);
  }

  protected removeMember(target: TeamMember): void {
    this.members.update((members) =>
      members.filter((member) => !(member.kind === target.kind && member.id === target.id)),
    );
  }

  protected addGrant(): void {
    this.grants.update((grants) => [...grants, newGrant(this.roles()[0] ?? '')]);
  }

  protected removeGrant(index: number): void {
    this.grants.update((grants) => grants.filter((_, at) => at !== index));
  }

  protected setRole(index: number, role: string): void {
    this.change(index, (grant) => ({ ...grant, role }));
  }

  protected coversAll(grant: GrantDraft, scope: Scope): boolean {
    return scope === 'projects' ? grant.allProjects : grant.allEnvironments;
  }

  protected pickedIds(grant: GrantDraft, scope: Scope): readonly string[] {
    return scope === 'projects' ? grant.projectIds : grant.environmentIds;
  }

  protected setAll(index: number, scope: Scope, all: boolean): void {
    this.change(index, (grant) =>
      scope === 'projects' ? { ...grant, allProjects: all } : { ...grant, allEnvironments: all },
    );
  }

  protected toggle(index: number, scope: Scope, id: string, on: boolean): void {
    const next = (ids: string[]) => (on ? [...new Set([...ids, id])] : ids.filter((one) => one !== id));
    this.change(index, (grant) =>
      scope === 'projects'
        ? { ...grant, projectIds: next(grant.projectIds) }
        : { ...grant, environmentIds: next(grant.environmentIds) },
    );
  }

  protected submit(event: Event): void {
    event.preventDefault();
    const draft: TeamDraft = {
      ...(this.draft().id ? { id: this.draft().id } : {}),
      name: this.name(),
      description: this.description(),
      members: this.members(),
      grants: this.grants(),
    };
    const problem = draftProblem(draft);
    this.problem.set(problem);
    if (!problem) this.save.emit(draft);
  }

  private change(index: number, edit: (grant: GrantDraft) => GrantDraft): void {
    this.grants.update((grants) => grants.map((grant, at) => (at === index ? edit(grant) : grant)));
  }
}
