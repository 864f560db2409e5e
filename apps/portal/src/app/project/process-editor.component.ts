import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  input,
  linkedSignal,
  output,
  signal,
} from '@angular/core';
import { DeploymentProcess, DeploymentStep, StepActionType } from '@flotilla/api-interfaces';

import { ProjectsApi } from '../api/projects-api';
import { apiErrorMessage } from '../core/api-error';
import { AddStepFormComponent } from './add-step-form.component';

/** Lists the steps of a deployment process and edits them locally until the user saves. */
@Component({
  selector: 'flotilla-process-editor',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [AddStepFormComponent],
  template: `
    <div data-testid="process-editor">
      @if (steps().length === 0) {
        <p class="muted">No steps yet.</p>
      } @else {
        <ol class="steps">
          @for (step of steps(); track step.name; let i = $index, first = $first, last = $last) {
            <li data-testid="process-step">
              <div class="step-head">
                <strong>{{ step.name }}</strong>
                <span class="tag">{{
                  step.actionType === actionType.RunScript ? 'Run a script' : 'Deploy a package'
                }}</span>
                @if (canEdit()) {
                  <span class="spacer"></span>
                  <button
                    type="button"
                    class="link"
                    [disabled]="first"
                    (click)="move(i, -1)"
                    [attr.aria-label]="'Move ' + step.name + ' up'"
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="link"
                    [disabled]="last"
                    (click)="move(i, 1)"
                    [attr.aria-label]="'Move ' + step.name + ' down'"
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    class="link danger"
                    (click)="remove(i)"
                    [attr.aria-label]="'Remove ' + step.name"
                  >
                    Remove
                  </button>
                }
              </div>
              @if (step.actionType === actionType.RunScript) {
                <pre class="script">{{ step.properties['scriptBody'] }}</pre>
                <span class="muted small">Timeout {{ step.properties['timeoutSeconds'] || 3600 }} s</span>
              } @else {
                <span
                  >Package <code>{{ step.properties['packageId'] }}</code></span
                >
              }
            </li>
          }
        </ol>
      }
      @if (canEdit()) {
        <label class="checkbox">
          <input
            type="checkbox"
            [checked]="retryable()"
            (change)="retryable.set(retryableBox.checked)"
            #retryableBox
          />
          Retryable: a task may resume on another node if its node dies
        </label>
        <flotilla-add-step-form [takenNames]="stepNames()" (added)="addStep($event)" />
        <div class="actions">
          <button type="button" [disabled]="!dirty() || saving()" (click)="save()" data-testid="save-process">
            {{ saving() ? 'Saving…' : 'Save process' }}
          </button>
          @if (dirty()) {
            <span class="muted" data-testid="process-unsaved">Unsaved changes</span>
          } @else if (savedVersion(); as version) {
            <span class="ok" role="status" data-testid="process-saved">Saved (version {{ version }})</span>
          }
        </div>
        @if (error(); as message) {
          <p class="error" role="alert" data-testid="process-error">{{ message }}</p>
        }
      }
    </div>
  `,
})
export class ProcessEditorComponent {
  readonly process = input.required<DeploymentProcess>();
  readonly canEdit = input(false);
  readonly saved = output<DeploymentProcess>();

  private readonly api = inject(ProjectsApi);
  protected readonly actionType = StepActionType;
  /** The working copy; reset whenever a new process comes in (load or save). */
  protected readonly steps = linkedSignal<DeploymentStep[]>(() => this.process().steps);
  protected readonly retryable = linkedSignal(() => this.process().retryable);
  protected readonly stepNames = computed(() => this.steps().map((step) => step.name));
  protected readonly dirty = computed(
    () =>
      JSON.stringify([this.steps(), this.retryable()]) !==
      JSON.stringify([this.process().steps, this.process().retryable]),
  );
  protected readonly saving = signal(false);
  protected readonly savedVersion = signal<number | null>(null);
  protected readonly error = signal<string | null>(null);

  protected addStep(step: DeploymentStep): void {
    this.steps.update((steps) => [...steps, step]);
  }

  protected remove(index: number): void {
    this.steps.update((steps) => steps.filter((_, i) => i !== index));
  }

  protected move(index: number, by: -1 | 1): void {
    this.steps.update((steps) => {
      const moved = [...steps];
      const [step] = moved.splice(index, 1);
      if (step) moved.splice(index + by, 0, step);
      return moved;
    });
  }

  protected async save(): Promise<void> {
    this.saving.set(true);
    this.error.set(null);
    try {
      const process = this.process();
      const saved = await this.api.saveProcess(process.projectId, {
        steps: this.steps(),
        retryable: this.retryable(),
      });
      this.savedVersion.set(saved.version);
      this.saved.emit(saved);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.saving.set(false);
    }
  }
}
