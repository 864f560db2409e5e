import { ChangeDetectionStrategy, Component, effect, inject, input, signal, untracked } from '@angular/core';
import { Environment, Permission, Variable } from '@flotilla/api-interfaces';

import { ProjectsApi } from '../api/projects-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { reachIn, variableAccessIn } from './scoped-permission';

/**
 * A row being edited; `key` keeps DOM rows stable while rows are added and removed. `editable` is
 * decided on the variable as loaded (VariableEdit must reach all of its environments): a read-only
 * row is sent back as it came, which the server accepts.
 */
interface VariableRow {
  key: number;
  variable: Variable;
  editable: boolean;
}

/** The project's variables as an editable table, saved as a whole. */
@Component({
  selector: 'flotilla-variables-editor',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (loading()) {
      <p class="muted">Loading variables…</p>
    } @else {
      <table class="variables" data-testid="variables-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Value</th>
            <th>Environments</th>
            <th>Sensitive</th>
            <th><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          @for (row of rows(); track row.key; let i = $index) {
            <tr data-testid="variable-row" [class.read-only]="!row.editable">
              <td>
                <input
                  #name
                  [value]="row.variable.name"
                  [disabled]="!row.editable"
                  [attr.aria-label]="'Name of variable ' + (i + 1)"
                  (input)="patch(row.key, { name: name.value })"
                  data-testid="variable-name"
                />
              </td>
              <td>
                <input
                  #value
                  [type]="row.variable.isSensitive ? 'password' : 'text'"
                  [value]="row.variable.value"
                  [disabled]="!row.editable"
                  [attr.aria-label]="'Value of variable ' + (i + 1)"
                  autocomplete="off"
                  [placeholder]="row.variable.isSensitive ? 'Hidden; leave empty to keep' : ''"
                  (input)="patch(row.key, { value: value.value })"
                  data-testid="variable-value"
                />
              </td>
              <td>
                <select
                  #scope
                  multiple
                  [disabled]="!row.editable"
                  [attr.aria-label]="'Environments of variable ' + (i + 1)"
                  (change)="patch(row.key, { environmentIds: selectedValues(scope) })"
                >
                  @for (environment of environments(); track environment.id) {
                    <option
                      [value]="environment.id"
                      [selected]="row.variable.environmentIds.includes(environment.id)"
                      [disabled]="!mayEditIn(environment.id)"
                    >
                      {{ environment.name }}
                    </option>
                  }
                </select>
                @if (row.variable.environmentIds.length === 0) {
                  <div class="muted small">All environments</div>
                }
                @if (canEdit() && !row.editable) {
                  <div class="muted small" data-testid="variable-read-only">
                    Read-only: it applies in environments where you may not edit variables
                  </div>
                }
              </td>
              <td>
                <input
                  #sensitive
                  type="checkbox"
                  [checked]="row.variable.isSensitive"
                  [disabled]="!row.editable"
                  [attr.aria-label]="'Variable ' + (i + 1) + ' is sensitive'"
                  (change)="patch(row.key, { isSensitive: sensitive.checked })"
                />
              </td>
              <td>
                @if (row.editable) {
                  <button
                    type="button"
                    class="link danger"
                    (click)="remove(row.key)"
                    [attr.aria-label]="'Remove variable ' + (i + 1)"
                  >
                    Remove
                  </button>
                }
              </td>
            </tr>
          } @empty {
            <tr>
              <td colspan="5" class="muted">No variables.</td>
            </tr>
          }
        </tbody>
      </table>
      @if (canEdit()) {
        <div class="actions">
          <button type="button" class="secondary" (click)="add()" data-testid="add-variable">
            Add variable
          </button>
          <button type="button" [disabled]="saving()" (click)="save()" data-testid="save-variables">
            {{ saving() ? 'Saving…' : 'Save variables' }}
          </button>
          @if (savedMessage(); as message) {
            <span class="ok" role="status" data-testid="variables-saved">{{ message }}</span>
          }
        </div>
      }
    }
    @if (error(); as message) {
      <p class="error" role="alert" data-testid="variables-error">{{ message }}</p>
    }
  `,
})
export class VariablesEditorComponent {
  readonly projectId = input.required<string>();
  readonly environments = input<Environment[]>([]);
  readonly canEdit = input(false);

  private readonly api = inject(ProjectsApi);
  private readonly session = inject(SessionService);
  private nextKey = 0;
  protected readonly rows = signal<VariableRow[]>([]);
  protected readonly loading = signal(true);
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly savedMessage = signal<string | null>(null);

  constructor() {
    effect(() => {
      const projectId = this.projectId();
      untracked(() => void this.load(projectId));
    });
  }

  /** Whether a variable may be scoped to this environment (VariableEdit reaches it). */
  protected mayEditIn(environmentId: string): boolean {
    const reach = reachIn(this.session, Permission.VariableEdit, this.projectId());
    return reach.everywhere || reach.environmentIds.has(environmentId);
  }

  protected selectedValues(select: HTMLSelectElement): string[] {
    return Array.from(select.selectedOptions, (option) => option.value);
  }

  protected patch(key: number, change: Partial<Variable>): void {
    this.savedMessage.set(null);
    this.rows.update((rows) =>
      rows.map((row) => (row.key === key ? { ...row, variable: { ...row.variable, ...change } } : row)),
    );
  }

  protected add(): void {
    this.rows.update((rows) => [
      ...rows,
      {
        key: this.nextKey++,
        variable: { name: '', value: '', environmentIds: [], isSensitive: false },
        editable: true,
      },
    ]);
  }

  protected remove(key: number): void {
    this.savedMessage.set(null);
    this.rows.update((rows) => rows.filter((row) => row.key !== key));
  }

  protected async save(): Promise<void> {
    const variables = this.rows().map((row) => ({ ...row.variable, name: row.variable.name.trim() }));
    if (variables.some((variable) => !variable.name)) {
      this.error.set('Every variable needs a name.');
      return;
    }
    this.saving.set(true);
    this.error.set(null);
    try {
      const saved = await this.api.saveVariables(this.projectId(), { variables });
      this.rows.set(saved.variables.map((variable) => this.toRow(variable)));
      this.savedMessage.set(`Saved (version ${saved.version})`);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.saving.set(false);
    }
  }

  private async load(projectId: string): Promise<void> {
    this.loading.set(true);
    this.error.set(null);
    try {
      const set = await this.api.getVariables(projectId);
      this.rows.set(set.variables.map((variable) => this.toRow(variable)));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }

  private toRow(variable: Variable): VariableRow {
    const editable =
      this.canEdit() && variableAccessIn(this.session, this.projectId(), variable.environmentIds).editable;
    return { key: this.nextKey++, variable, editable };
  }
}
