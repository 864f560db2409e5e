import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, OnInit, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import type { ApiKey, CreatedApiKey } from '@flotilla/api-interfaces';

import { ApiKeysApi } from '../api/api-keys-api';
import { apiErrorMessage } from '../core/api-error';
import { required } from '../core/validators';
import { expiryFromLocalInput, keyStateOf } from './api-key-expiry';
import { CreatedKeyComponent } from './created-key.component';

/** Auth's limit on a purpose (api-key.service.ts); the API checks it again. */
const PURPOSE_MAX_LENGTH = 200;

/**
 * The signed-in user's own API keys (route guarded by ApiKeyEdit): create one with a purpose and
 * an optional expiry (its secret shown once), see which have expired, revoke one after confirming.
 * Revoked keys are not listed; the API refuses them on every node within a second.
 */
@Component({
  selector: 'flotilla-api-keys',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, DatePipe, CreatedKeyComponent],
  template: `
    <h1>API keys</h1>
    <p class="muted">
      Keys let scripts and tools call the Flotilla API as you, with your permissions. Send one in the
      X-Octopus-ApiKey header.
    </p>
    @if (created(); as key) {
      <flotilla-created-key [created]="key" (dismissed)="created.set(null)" />
    }
    <form class="card inline-form" [formGroup]="form" (ngSubmit)="create()" data-testid="api-key-create-form">
      <h2>New API key</h2>
      <div class="field grow">
        <label for="api-key-purpose">Purpose</label>
        <input
          id="api-key-purpose"
          formControlName="purpose"
          [maxlength]="purposeMaxLength"
          placeholder="e.g. CI pipeline for Shop"
          data-testid="api-key-purpose"
        />
      </div>
      <div class="field">
        <label for="api-key-expires">Expires (optional, your local time)</label>
        <input
          id="api-key-expires"
          type="datetime-local"
          step="1"
          formControlName="expiresAt"
          data-testid="api-key-expires"
        />
      </div>
      <button type="submit" [disabled]="form.invalid || creating()" data-testid="api-key-create-submit">
        {{ creating() ? 'Creating…' : 'Create API key' }}
      </button>
      <p class="muted small">Leave the expiry empty for a key that works until you revoke it.</p>
      @if (createError(); as message) {
        <p class="error" role="alert" data-testid="api-key-create-error">{{ message }}</p>
      }
    </form>
    @if (pending(); as key) {
      <div class="card inline-form" data-testid="api-key-confirm">
        <p data-testid="api-key-confirm-question">
          Revoke the key “{{ key.purpose }}”? Anything using it is refused from now on; this cannot be undone.
        </p>
        <button
          type="button"
          class="danger"
          [disabled]="busy()"
          (click)="revoke(key)"
          data-testid="api-key-confirm-submit"
        >
          {{ busy() ? 'Revoking…' : 'Revoke' }}
        </button>
        <button
          type="button"
          class="secondary"
          (click)="pending.set(null)"
          data-testid="api-key-confirm-cancel"
        >
          Cancel
        </button>
      </div>
    }
    @if (actionError(); as message) {
      <p class="error" role="alert" data-testid="api-key-action-error">{{ message }}</p>
    }
    @if (done(); as message) {
      <p class="ok" role="status" data-testid="api-key-action-done">{{ message }}</p>
    }
    @if (loading()) {
      <p class="muted">Loading API keys…</p>
    } @else if (loadError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (keys().length === 0) {
      <p class="muted" data-testid="api-keys-empty">You have no API keys.</p>
    } @else {
      <table data-testid="api-keys-table">
        <thead>
          <tr>
            <th>Purpose</th>
            <th>Created</th>
            <th>Expires</th>
            <th>State</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          @for (key of keys(); track key.id) {
            <tr data-testid="api-key-row" [attr.data-purpose]="key.purpose" [attr.data-key-id]="key.id">
              <td>{{ key.purpose }}</td>
              <td>{{ key.createdAt | date: 'medium' }}</td>
              <td data-testid="api-key-expires-at">
                {{ key.expiresAt ? (key.expiresAt | date: 'medium') : 'Never' }}
              </td>
              <td data-testid="api-key-state" [class.error]="key.expired">{{ state(key) }}</td>
              <td>
                <button type="button" class="link danger" (click)="ask(key)" data-testid="api-key-revoke">
                  Revoke
                </button>
              </td>
            </tr>
          }
        </tbody>
      </table>
    }
  `,
})
export class ApiKeysPage implements OnInit {
  private readonly api = inject(ApiKeysApi);
  protected readonly purposeMaxLength = PURPOSE_MAX_LENGTH;
  protected readonly keys = signal<ApiKey[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<string | null>(null);
  protected readonly creating = signal(false);
  protected readonly createError = signal<string | null>(null);
  protected readonly created = signal<CreatedApiKey | null>(null);
  protected readonly pending = signal<ApiKey | null>(null);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<string | null>(null);
  protected readonly done = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    purpose: ['', [required, Validators.maxLength(PURPOSE_MAX_LENGTH)]],
    expiresAt: [''],
  });
  protected readonly state = keyStateOf;

  ngOnInit(): void {
    void this.load();
  }

  protected async create(): Promise<void> {
    if (this.form.invalid) return;
    this.creating.set(true);
    this.createError.set(null);
    this.done.set(null);
    try {
      const { purpose, expiresAt } = this.form.getRawValue();
      const created = await this.api.create({
        purpose: purpose.trim(),
        expiresAt: expiryFromLocalInput(expiresAt),
      });
      this.form.reset();
      this.created.set(created);
      await this.load();
    } catch (error: unknown) {
      this.createError.set(apiErrorMessage(error));
    } finally {
      this.creating.set(false);
    }
  }

  protected ask(key: ApiKey): void {
    this.actionError.set(null);
    this.done.set(null);
    this.pending.set(key);
  }

  protected async revoke(key: ApiKey): Promise<void> {
    this.busy.set(true);
    this.actionError.set(null);
    try {
      await this.api.revoke(key.id);
      this.pending.set(null);
      // The secret on show belongs to this key: nothing to keep once it is revoked.
      if (this.created()?.key.id === key.id) this.created.set(null);
      // Said once the list no longer shows the key, so what is read next is the new state.
      await this.load();
      this.done.set(`The key “${key.purpose}” is revoked.`);
    } catch (error: unknown) {
      this.actionError.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      this.keys.set(await this.api.list());
      this.loadError.set(null);
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
