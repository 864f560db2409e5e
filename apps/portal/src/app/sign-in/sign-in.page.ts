import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { Router } from '@angular/router';

import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { required } from '../core/validators';

@Component({
  selector: 'flotilla-sign-in',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule],
  template: `
    <div class="sign-in">
      <form class="card" [formGroup]="form" (ngSubmit)="submit()" data-testid="login-form">
        <h1>Sign in to Flotilla</h1>
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
    </div>
  `,
})
export class SignInPage {
  /** Where to go after signing in (set by the guard or the 401 handler). */
  readonly returnUrl = input<string>();

  private readonly session = inject(SessionService);
  private readonly router = inject(Router);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', required],
    password: ['', required],
  });

  protected async submit(): Promise<void> {
    if (this.form.invalid) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.session.signIn(this.form.getRawValue());
      const target = this.returnUrl();
      // Only same-app paths: a crafted returnUrl must not send the user elsewhere.
      await this.router.navigateByUrl(
        target?.startsWith('/') && !target.startsWith('//') ? target : '/projects',
      );
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.form.controls.password.reset();
    } finally {
      this.busy.set(false);
    }
  }
}
