import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';

import { DirectoryApi, DirectoryDiagnostics } from '../api/directory-api';
import { apiErrorMessage } from '../core/api-error';
import { required } from '../core/validators';
import { durationText, outcomeClass, outcomeText } from './directory-text';

/**
 * Tests a user's directory sign-in path (POST /api/directory/diagnostics) with a name only: the
 * entry found, why sign-in would refuse it, its groups and teams, which controller answered and
 * each step's time, failed controllers included. There is deliberately no password field.
 */
@Component({
  selector: 'flotilla-directory-diagnostics',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule],
  template: `
    <section class="card" data-testid="directory-diagnostics">
      <h2>Test a sign-in</h2>
      <form class="inline-form" [formGroup]="form" (ngSubmit)="run()" data-testid="diagnostics-form">
        <div class="field grow">
          <label for="diagnostics-name"
            >Sign-in name (user, DOMAIN\\user or user&#64;domain; no password needed)</label
          >
          <input
            id="diagnostics-name"
            type="text"
            formControlName="name"
            autocomplete="off"
            data-testid="diagnostics-name"
          />
        </div>
        <button type="submit" [disabled]="busy() || form.invalid" data-testid="diagnostics-run">
          {{ busy() ? 'Testing…' : 'Test' }}
        </button>
      </form>
      @if (error(); as message) {
        <p class="error" role="alert" data-testid="diagnostics-error">{{ message }}</p>
      }
      @if (result(); as d) {
        <div data-testid="diagnostics-result">
          <p>
            <span class="badge {{ badgeClass(d) }}" data-testid="diagnostics-outcome">{{ outcome(d) }}</span>
            <span data-testid="diagnostics-message"> {{ d.message }}</span>
          </p>
          <dl class="facts">
            <dt>Name form</dt>
            <dd data-testid="diagnostics-name-form">{{ d.nameForm || '—' }}</dd>
            @if (d.filter) {
              <dt>Filter</dt>
              <dd>
                <code data-testid="diagnostics-filter">{{ d.filter }}</code> under {{ d.baseDn }}
              </dd>
            }
            @if (d.dn) {
              <dt>Entry</dt>
              <dd data-testid="diagnostics-dn">{{ d.dn }}</dd>
              <dt>User key</dt>
              <dd data-testid="diagnostics-user-key">{{ d.userKey }}</dd>
              <dt>Account</dt>
              <dd>
                {{ d.accountName }} {{ d.principalName ? '· ' + d.principalName : '' }} · {{ d.displayName }}
              </dd>
            }
            <dt>Answered by</dt>
            <dd data-testid="diagnostics-answered-by">{{ d.answeredBy || 'no domain controller' }}</dd>
            <dt>Total time</dt>
            <dd data-testid="diagnostics-total">{{ duration(d.totalMs) }}</dd>
          </dl>
          @if (d.matchedDns.length > 1) {
            <h3>Entries matching the name</h3>
            <ul data-testid="diagnostics-matched">
              @for (dn of d.matchedDns; track dn) {
                <li>{{ dn }}</li>
              }
            </ul>
          }
          @if (d.dn) {
            <h3>Account state</h3>
            @if (d.refusal) {
              <p class="error" data-testid="diagnostics-refusal">
                Sign-in refuses this account: <strong>{{ d.refusalCode }}</strong> — {{ d.refusalMessage }}
              </p>
            } @else {
              <p class="ok" data-testid="diagnostics-refusal">
                Not refused: with the right password this account signs in.
              </p>
            }
            @if (d.accountAttributes.length > 0) {
              <p class="muted small" data-testid="diagnostics-attributes">
                {{ d.accountAttributes.join(' · ') }}
              </p>
            }
            <h3>Groups ({{ d.groups.length }}, under {{ d.groupBaseDn }})</h3>
            <table data-testid="diagnostics-groups">
              <thead>
                <tr>
                  <th>Group</th>
                  <th>Membership</th>
                  <th>Id</th>
                  <th>DN</th>
                </tr>
              </thead>
              <tbody>
                @for (group of d.groups; track group.id) {
                  <tr
                    data-testid="diagnostics-group"
                    [attr.data-membership]="group.membership"
                    [attr.data-name]="group.name"
                  >
                    <td>{{ group.name }}</td>
                    <td>{{ group.membership }}</td>
                    <td class="small">{{ group.id }}</td>
                    <td class="small">{{ group.dn }}</td>
                  </tr>
                }
              </tbody>
            </table>
            <h3>Teams</h3>
            @if (!d.teamsResolved) {
              <p class="muted" data-testid="diagnostics-team-note">{{ d.teamNote }}</p>
            } @else if (d.teams.length === 0) {
              <p class="muted" data-testid="diagnostics-teams">No team lists any of these groups.</p>
            } @else {
              <ul data-testid="diagnostics-teams">
                @for (team of d.teams; track team.id) {
                  <li data-testid="diagnostics-team">
                    {{ team.name }}
                    <span class="muted small">through {{ groupNames(d, team.groupIds) }}</span>
                  </li>
                }
              </ul>
            }
          }
          @if (d.steps.length > 0) {
            <h3>Steps</h3>
            <table data-testid="diagnostics-steps">
              <thead>
                <tr>
                  <th>Step</th>
                  <th>Domain controller</th>
                  <th>Time</th>
                  <th>Result</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>
                @for (step of d.steps; track $index) {
                  <tr
                    data-testid="diagnostics-step"
                    [attr.data-step]="step.step"
                    [attr.data-ok]="step.ok"
                    [attr.data-controller]="step.controller"
                  >
                    <td>{{ step.step }}</td>
                    <td class="small">{{ step.controller }}</td>
                    <td data-testid="diagnostics-step-time">{{ duration(step.durationMs) }}</td>
                    <td [class.error]="!step.ok" data-testid="diagnostics-step-result">
                      {{ step.ok ? 'ok' : step.error }}
                    </td>
                    <td class="small">{{ step.detail }}</td>
                  </tr>
                }
              </tbody>
            </table>
          }
        </div>
      }
    </section>
  `,
})
export class DirectoryDiagnosticsComponent {
  private readonly api = inject(DirectoryApi);
  protected readonly form = inject(NonNullableFormBuilder).group({ name: ['', [required]] });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly result = signal<DirectoryDiagnostics | null>(null);
  protected readonly outcome = outcomeText;
  protected readonly badgeClass = outcomeClass;
  protected readonly duration = durationText;

  protected groupNames(diagnosis: DirectoryDiagnostics, ids: readonly string[]): string {
    return ids.map((id) => diagnosis.groups.find((group) => group.id === id)?.name ?? id).join(', ');
  }

  protected async run(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      this.result.set(await this.api.diagnose(this.form.getRawValue().name));
    } catch (error: unknown) {
      this.result.set(null);
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
