import { ChangeDetectionStrategy, Component, inject, OnInit, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import type { User } from '@flotilla/api-interfaces';

import { UsersApi } from '../api/users-api';
import { apiErrorMessage } from '../core/api-error';
import { required } from '../core/validators';
import { confirmationOf, isLocal, stateOf, UserAction } from './user-actions';

/** Auth's rule for a new password (user-rules.ts); the API checks it again. */
const NEW_PASSWORD_MIN_LENGTH = 12;

interface PendingAction {
  action: UserAction;
  user: User;
}

/**
 * Account administration (route guarded by UserEdit): every account with its state and source,
 * and disable / re-enable / end sessions / reset a local password, each confirmed first. The API's
 * refusals (409 for disabling yourself or the last administrator) are shown as it words them.
 */
@Component({
  selector: 'flotilla-users',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule],
  template: `
    <h1>Users</h1>
    @if (pending(); as current) {
      <form class="card inline-form" [formGroup]="reset" (ngSubmit)="confirm()" data-testid="user-confirm">
        <p data-testid="user-confirm-question">{{ question(current) }}</p>
        @if (current.action === 'reset') {
          <div class="field">
            <label for="reset-password">New password (at least {{ minLength }} characters)</label>
            <input
              id="reset-password"
              type="password"
              formControlName="newPassword"
              autocomplete="new-password"
              data-testid="user-reset-password"
            />
          </div>
        }
        <button
          type="submit"
          class="danger"
          [disabled]="busy() || (current.action === 'reset' && reset.invalid)"
          data-testid="user-confirm-submit"
        >
          {{ busy() ? 'Working…' : 'Confirm' }}
        </button>
        <button type="button" class="secondary" (click)="cancel()" data-testid="user-confirm-cancel">
          Cancel
        </button>
      </form>
    }
    @if (actionError(); as message) {
      <p class="error" role="alert" data-testid="user-action-error">{{ message }}</p>
    }
    @if (done(); as message) {
      <p class="ok" role="status" data-testid="user-action-done">{{ message }}</p>
    }
    @if (loading()) {
      <p class="muted">Loading users…</p>
    } @else if (loadError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else {
      <table data-testid="users-table">
        <thead>
          <tr>
            <th>User name</th>
            <th>Display name</th>
            <th>Roles</th>
            <th>Source</th>
            <th>State</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          @for (user of users(); track user.id) {
            <tr data-testid="user-row" [attr.data-username]="user.username">
              <td>{{ user.username }}</td>
              <td>{{ user.displayName }}</td>
              <td>{{ user.roles.join(', ') }}</td>
              <td data-testid="user-source">
                {{ local(user) ? 'Local' : 'Directory (' + user.source + ')' }}
              </td>
              <td data-testid="user-state">{{ state(user) }}</td>
              <td class="actions">
                @if (user.isActive) {
                  <button
                    type="button"
                    class="link danger"
                    (click)="ask('disable', user)"
                    data-testid="user-disable"
                  >
                    Disable
                  </button>
                } @else {
                  <button type="button" class="link" (click)="ask('enable', user)" data-testid="user-enable">
                    Enable
                  </button>
                }
                <button type="button" class="link" (click)="ask('revoke', user)" data-testid="user-revoke">
                  End sessions
                </button>
                @if (local(user)) {
                  <button type="button" class="link" (click)="ask('reset', user)" data-testid="user-reset">
                    Reset password
                  </button>
                }
              </td>
            </tr>
          }
        </tbody>
      </table>
    }
  `,
})
export class UsersPage implements OnInit {
  private readonly api = inject(UsersApi);
  protected readonly minLength = NEW_PASSWORD_MIN_LENGTH;
  protected readonly users = signal<User[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<string | null>(null);
  protected readonly pending = signal<PendingAction | null>(null);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<string | null>(null);
  protected readonly done = signal<string | null>(null);
  protected readonly reset = inject(NonNullableFormBuilder).group({
    newPassword: ['', [required, Validators.minLength(NEW_PASSWORD_MIN_LENGTH)]],
  });
  protected readonly local = isLocal;
  protected readonly state = stateOf;

  ngOnInit(): void {
    void this.load();
  }

  protected question(pending: PendingAction): string {
    return confirmationOf(pending.action, pending.user);
  }

  protected ask(action: UserAction, user: User): void {
    this.actionError.set(null);
    this.done.set(null);
    this.reset.reset();
    this.pending.set({ action, user });
  }

  protected cancel(): void {
    this.pending.set(null);
  }

  protected async confirm(): Promise<void> {
    const current = this.pending();
    if (!current) return;
    this.busy.set(true);
    this.actionError.set(null);
    try {
      const outcome = await this.run(current);
      this.pending.set(null);
      this.reset.reset();
      // Said once the list shows the change, so what is read next is the new state.
      await this.load();
      this.done.set(outcome);
    } catch (error: unknown) {
      this.actionError.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  private async run({ action, user }: PendingAction): Promise<string> {
    const who = user.username;
    switch (action) {
      case 'disable':
        await this.api.disable(user.id);
        return `${who} is disabled.`;
      case 'enable':
        await this.api.enable(user.id);
        return `${who} is enabled again.`;
      case 'revoke': {
        const { count } = await this.api.revokeSessions(user.id);
        return `${count} session(s) of ${who} ended.`;
      }
      case 'reset':
        await this.api.resetPassword(user.id, { newPassword: this.reset.getRawValue().newPassword });
        return `The password of ${who} is reset; they must change it at the next sign-in.`;
    }
  }

  private async load(): Promise<void> {
    try {
      this.users.set(await this.api.list());
      this.loadError.set(null);
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
