import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { DeploymentStep, StepActionType } from '@flotilla/api-interfaces';

import { required } from '../core/validators';

/** The form that appends one step (run a script, or deploy a package) to the process being edited. */
@Component({
  selector: 'flotilla-add-step-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule],
  template: `
    <form class="add-step" [formGroup]="form" (ngSubmit)="add()" data-testid="add-step-form">
      <h3>Add a step</h3>
      <div class="row">
        <div class="field">
          <label for="step-type">Step type</label>
          <select id="step-type" formControlName="actionType" data-testid="step-type">
            <option [value]="actionType.RunScript">Run a script</option>
            <option [value]="actionType.DeployPackage">Deploy a package</option>
          </select>
        </div>
        <div class="field grow">
          <label for="step-name">Step name</label>
          <input id="step-name" formControlName="name" data-testid="step-name" />
        </div>
      </div>
      @if (form.controls.actionType.value === actionType.RunScript) {
        <div class="field">
          <label for="step-script">Script (bash; <code>#&#123;Name&#125;</code> is substituted)</label>
          <textarea
            id="step-script"
            rows="6"
            formControlName="scriptBody"
            data-testid="step-script"
          ></textarea>
        </div>
        <div class="field narrow">
          <label for="step-timeout">Timeout (seconds)</label>
          <input
            id="step-timeout"
            type="number"
            min="1"
            formControlName="timeoutSeconds"
            data-testid="step-timeout"
          />
        </div>
      } @else {
        <div class="field">
          <label for="step-package">Package id</label>
          <input id="step-package" formControlName="packageId" data-testid="step-package-id" />
        </div>
      }
      @if (problem(); as message) {
        <p class="error" role="alert">{{ message }}</p>
      }
      <button type="submit" class="secondary" data-testid="add-step">Add step</button>
    </form>
  `,
})
export class AddStepFormComponent {
  /** Names already used in the process (step names must be unique). */
  readonly takenNames = input<readonly string[]>([]);
  readonly added = output<DeploymentStep>();

  protected readonly actionType = StepActionType;
  protected readonly problem = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    actionType: [StepActionType.RunScript as StepActionType],
    name: ['', required],
    scriptBody: [''],
    timeoutSeconds: [3600, Validators.min(1)],
    packageId: [''],
  });

  protected add(): void {
    const value = this.form.getRawValue();
    const name = value.name.trim();
    const problem = this.validate(name, value.scriptBody, value.packageId.trim(), value.timeoutSeconds);
    this.problem.set(problem);
    if (problem) return;
    this.added.emit(
      value.actionType === StepActionType.RunScript
        ? {
            name,
            actionType: StepActionType.RunScript,
            properties: { scriptBody: value.scriptBody, timeoutSeconds: String(value.timeoutSeconds) },
          }
        : {
            name,
            actionType: StepActionType.DeployPackage,
            properties: { packageId: value.packageId.trim() },
          },
    );
    this.form.reset({ actionType: value.actionType });
  }

  private validate(name: string, script: string, packageId: string, timeout: number): string | null {
    if (!name) return 'Give the step a name.';
    if (this.takenNames().includes(name)) return `There is already a step called "${name}".`;
    if (this.form.controls.actionType.value === StepActionType.RunScript) {
      if (!script.trim()) return 'Write the script this step runs.';
      if (!Number.isInteger(timeout) || timeout < 1) return 'The timeout must be a whole number of seconds.';
      return null;
    }
    return packageId ? null : 'Give the id of the package to deploy.';
  }
}
