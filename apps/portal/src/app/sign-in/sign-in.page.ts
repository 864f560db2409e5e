import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, input, OnInit, signal } from '@angular/core';
import {
  AbstractControl,
  NonNullableFormBuilder,
  ReactiveFormsModule,
  ValidationErrors,
} from '@angular/forms';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../core/api-error';
import { isPasswordChangeRequired, SessionService } from '../core/session.service';
import { required } from '../core/validators';
import { directoryDescription, SignInProviders } from './sign-in-providers';
import { signInErrorMessage } from './sign-in-refusal';

/** Auth's rule for a new password (user-rules.ts); the API checks it again. */
const NEW_PASSWORD_MIN_LENGTH = 12;

/** The new password and its confirmation must match. */
function samePasswordTwice(group: AbstractControl): ValidationErrors | null {
  const { newPassword, confirmPassword } = group.value as { newPassword: string; confirmPassword: string };
  return newPassword === confirmPassword ? null : { mismatch: true };
}

function longEnough(control: AbstractControl): ValidationErrors | null {
  return String(control.value ?? '').length >= NEW_PASSWORD_MIN_LENGTH ? null : { tooShort: true };
}

@Component({
  selector: 'flotilla-sign-in',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule],
  template: `
    <div class="sign-in">
      @if (changing()) {
        <form
          class="card"
          [formGroup]="change"
          (ngSubmit)="submitChange()"
          data-testid="change-password-form"
        >
          <h1>Choose a new password</h1>
          <p data-testid="change-password-reason">
            The password of {{ form.controls.username.value }} was generated for the first sign-in. Choose
            your own (at least {{ minLength }} characters) to continue.
          </p>
          <label for="new-password">New password</label>
          <input
            id="new-password"
            type="password"
            formControlName="newPassword"
            autocomplete="new-password"
            data-testid="change-password-new"
          />
          <label for="confirm-password">Confirm new password</label>
          <input
            id="confirm-password"
            type="password"
            formControlName="confirmPassword"
            autocomplete="new-password"
            data-testid="change-password-confirm"
          />
          @if (change.hasError('mismatch') && change.controls.confirmPassword.dirty) {
            <p class="error" data-testid="change-password-mismatch">The two passwords differ.</p>
          }
          @if (error(); as message) {
            <p class="error" role="alert" data-testid="change-password-error">{{ message }}</p>
          }
          <button type="submit" [disabled]="change.invalid || busy()" data-testid="change-password-submit">
            {{ busy() ? 'Saving…' : 'Change password and sign in' }}
          </button>
        </form>
      } @else {
        <form class="card" [formGroup]="form" (ngSubmit)="submit()" data-testid="login-form">
          <h1>Sign in to Flotilla</h1>
          @if (directory(); as description) {
            <p class="hint" data-testid="login-directory">{{ description }}</p>
          }
          <label for="username">Username</label>
          <input
            id="username"
            formControlName="username"
            autocomplete="username"
            data-testid="login-username"
          />
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            formControlName="password"
            autocomplete="current-password"
            data-testid="login-password"
          />
          @if (error(); as message) {
            <p class="error" role="alert" data-testid="login-error">{{ message }}</p>
          }
          <button type="submit" [disabled]="form.invalid || busy()" data-testid="login-submit">
            {{ busy() ? 'Signing in…' : 'Sign in' }}
          </button>
        </form>
      }
    </div>
  `,
})
export class SignInPage implements OnInit {
  /** Where to go after signing in (set by the guard or the 401 handler). */
  readonly returnUrl = input<string>();

  private readonly session = inject(SessionService);
  private readonly http = inject(HttpClient);
  /** Which directory accounts sign in with, when one is configured (else only local accounts). */
  protected readonly directory = signal<string | null>(null);
  private readonly router = inject(Router);
  private readonly forms = inject(NonNullableFormBuilder);
  protected readonly minLength = NEW_PASSWORD_MIN_LENGTH;
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  /** Sign-in answered PasswordChangeRequired: the change form replaces the sign-in form. */
  protected readonly changing = signal(false);
  protected readonly form = this.forms.group({
    username: ['', required],
    password: ['', required],
  });
  protected readonly change = this.forms.group(
    { newPassword: ['', [required, longEnough]], confirmPassword: ['', required] },
    { validators: samePasswordTwice },
  );

  ngOnInit(): void {
    void this.loadDirectory();
  }

  private async loadDirectory(): Promise<void> {
    try {
      const providers = await firstValueFrom(this.http.get<SignInProviders>('/api/auth/providers'));
      this.directory.set(directoryDescription(providers));
    } catch {
      // Only a hint: sign-in works the same without it.
    }
  }

  protected async submit(): Promise<void> {
    if (this.form.invalid) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.session.signIn(this.form.getRawValue());
      await this.goOn();
    } catch (error: unknown) {
      if (isPasswordChangeRequired(error)) {
        // The password was right; it must be replaced before it opens a session.
        this.changing.set(true);
        return;
      }
      this.error.set(signInErrorMessage(error));
      this.form.controls.password.reset();
    } finally {
      this.busy.set(false);
    }
  }

  protected async submitChange(): Promise<void> {
    if (this.change.invalid) return;
    this.busy.set(true);
    this.error.set(null);
    const { username, password } = this.form.getRawValue();
    const { newPassword } = this.change.getRawValue();
    try {
      await this.session.changePassword({ username, currentPassword: password, newPassword });
      await this.session.signIn({ username, password: newPassword });
      await this.goOn();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  private async goOn(): Promise<void> {
    const target = this.returnUrl();
    // Only same-app paths: a crafted returnUrl must not send the user elsewhere.
    await this.router.navigateByUrl(
      target?.startsWith('/') && !target.startsWith('//') ? target : '/projects',
    );
  }
}
