import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, OnInit, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Environment, Permission } from '@flotilla/api-interfaces';

import { EnvironmentsApi } from '../api/environments-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { required } from '../core/validators';

@Component({
  selector: 'flotilla-environments',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, DatePipe],
  template: `
    <h1>Environments</h1>
    @if (session.can(permission.EnvironmentCreate)) {
      <form
        class="card inline-form"
        [formGroup]="form"
        (ngSubmit)="create()"
        data-testid="create-environment-form"
      >
        <h2>New environment</h2>
        <div class="field">
          <label for="environment-name">Name</label>
          <input id="environment-name" formControlName="name" data-testid="create-environment-name" />
        </div>
        <div class="field grow">
          <label for="environment-description">Description</label>
          <input id="environment-description" formControlName="description" />
        </div>
        <button type="submit" [disabled]="form.invalid || creating()" data-testid="create-environment-submit">
          {{ creating() ? 'Creating…' : 'Create environment' }}
        </button>
        @if (createError(); as message) {
          <p class="error" role="alert" data-testid="create-environment-error">{{ message }}</p>
        }
      </form>
    }
    @if (loading()) {
      <p class="muted">Loading environments…</p>
    } @else if (loadError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (environments().length === 0) {
      <p class="muted">No environments yet.</p>
    } @else {
      <table data-testid="environments-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Slug</th>
            <th>Description</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          @for (environment of environments(); track environment.id) {
            <tr data-testid="environment-row">
              <td>{{ environment.name }}</td>
              <td>
                <code>{{ environment.slug }}</code>
              </td>
              <td>{{ environment.description }}</td>
              <td>{{ environment.createdAt | date: 'medium' }}</td>
            </tr>
          }
        </tbody>
      </table>
    }
  `,
})
export class EnvironmentsPage implements OnInit {
  protected readonly session = inject(SessionService);
  protected readonly permission = Permission;
  private readonly api = inject(EnvironmentsApi);

  protected readonly environments = signal<Environment[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<string | null>(null);
  protected readonly creating = signal(false);
  protected readonly createError = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    name: ['', [required, Validators.maxLength(200)]],
    description: [''],
  });

  ngOnInit(): void {
    void this.load();
  }

  protected async create(): Promise<void> {
    this.creating.set(true);
    this.createError.set(null);
    try {
      const created = await this.api.create(this.form.getRawValue());
      this.environments.update((list) => [...list, created]);
      this.form.reset();
    } catch (error: unknown) {
      this.createError.set(apiErrorMessage(error));
    } finally {
      this.creating.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      this.environments.set(await this.api.list());
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
