import {
  ChangeDetectionStrategy,
  Component,
  inject,
  input,
  linkedSignal,
  output,
  signal,
} from '@angular/core';
import { Router } from '@angular/router';
import { Environment, Release } from '@flotilla/api-interfaces';

import { DeploymentsApi } from '../api/deployments-api';
import { apiErrorMessage } from '../core/api-error';

/** Deploys one release to a chosen environment, then follows the deployment's task. */
@Component({
  selector: 'flotilla-deploy-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="card deploy" (submit)="$event.preventDefault(); deploy()" data-testid="deploy-form">
      <h3>Deploy release {{ release().version }}</h3>
      @if (environments().length === 0) {
        <p class="muted">There are no environments to deploy to. Create one first.</p>
      } @else {
        <div class="row">
          <div class="field">
            <label for="deploy-environment">Environment</label>
            <select
              id="deploy-environment"
              #target
              (change)="environmentId.set(target.value)"
              data-testid="deploy-environment"
            >
              @for (environment of environments(); track environment.id) {
                <option [value]="environment.id" [selected]="environment.id === environmentId()">
                  {{ environment.name }}
                </option>
              }
            </select>
          </div>
          <button type="submit" [disabled]="!environmentId() || busy()" data-testid="deploy-submit">
            {{ busy() ? 'Deploying…' : 'Deploy' }}
          </button>
          <button type="button" class="secondary" (click)="closed.emit()">Cancel</button>
        </div>
      }
      @if (error(); as message) {
        <p class="error" role="alert" data-testid="deploy-error">{{ message }}</p>
      }
    </form>
  `,
})
export class DeployFormComponent {
  readonly release = input.required<Release>();
  readonly environments = input<Environment[]>([]);
  readonly closed = output();

  private readonly api = inject(DeploymentsApi);
  private readonly router = inject(Router);
  protected readonly environmentId = linkedSignal(() => this.environments()[0]?.id ?? '');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async deploy(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      const deployment = await this.api.create({
        releaseId: this.release().id,
        environmentId: this.environmentId(),
      });
      await this.router.navigate(['/tasks', deployment.taskId]);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
