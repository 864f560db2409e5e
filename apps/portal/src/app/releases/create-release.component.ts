import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
} from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { DeploymentStep, Package, Release, ReleasePackage, StepActionType } from '@flotilla/api-interfaces';

import { PackagesApi } from '../api/packages-api';
import { ProjectsApi } from '../api/projects-api';
import { apiErrorMessage } from '../core/api-error';
import { required } from '../core/validators';

/** Package versions offered per package id: newest first; `error` when the feed could not be read. */
interface PackageChoices {
  versions: string[];
  error?: string;
}

/** Creates a release: a version plus, for each deploy-package step, the package version to ship. */
@Component({
  selector: 'flotilla-create-release',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule],
  template: `
    <form class="add-step" [formGroup]="form" (ngSubmit)="create()" data-testid="create-release-form">
      <h3>Create release</h3>
      <div class="row">
        <div class="field">
          <label for="release-version">Version</label>
          <input
            id="release-version"
            formControlName="version"
            placeholder="1.0.0"
            data-testid="release-version"
          />
        </div>
        <div class="field grow">
          <label for="release-notes">Notes</label>
          <input id="release-notes" formControlName="notes" data-testid="release-notes" />
        </div>
      </div>
      @for (step of packageSteps(); track step.name) {
        <div class="field">
          <label [for]="'release-package-' + $index">
            Package <code>{{ step.properties['packageId'] }}</code> for step "{{ step.name }}"
          </label>
          @let choices = choicesByPackage()[step.properties['packageId'] ?? ''];
          <select
            #choice
            [id]="'release-package-' + $index"
            [attr.data-step]="step.name"
            data-testid="release-package-version"
            (change)="choose(step.name, choice.value)"
          >
            <option value="" [selected]="!chosen()[step.name]">
              {{
                choices
                  ? choices.versions.length
                    ? 'Choose a version'
                    : 'No versions in the feed'
                  : 'Loading versions…'
              }}
            </option>
            @for (version of choices?.versions ?? []; track version) {
              <option [value]="version" [selected]="chosen()[step.name] === version">{{ version }}</option>
            }
          </select>
          @if (choices?.error; as message) {
            <p class="error" role="alert">{{ message }}</p>
          }
        </div>
      }
      @if (error(); as message) {
        <p class="error" role="alert" data-testid="create-release-error">{{ message }}</p>
      }
      <button
        type="submit"
        [disabled]="form.invalid || !allChosen() || busy()"
        data-testid="create-release-submit"
      >
        {{ busy() ? 'Creating…' : 'Create release' }}
      </button>
    </form>
  `,
})
export class CreateReleaseComponent {
  readonly projectId = input.required<string>();
  readonly steps = input<DeploymentStep[]>([]);
  readonly created = output<Release>();

  private readonly projectsApi = inject(ProjectsApi);
  private readonly packagesApi = inject(PackagesApi);
  protected readonly packageSteps = computed(() =>
    this.steps().filter((step) => step.actionType === StepActionType.DeployPackage),
  );
  protected readonly choicesByPackage = signal<Record<string, PackageChoices>>({});
  /** Chosen version per step name. */
  protected readonly chosen = signal<Record<string, string>>({});
  protected readonly allChosen = computed(() =>
    this.packageSteps().every((step) => !!this.chosen()[step.name]),
  );
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    version: ['', [required, Validators.maxLength(100)]],
    notes: [''],
  });

  constructor() {
    effect(() => {
      const packageIds = new Set(this.packageSteps().map((step) => step.properties['packageId'] ?? ''));
      untracked(() => packageIds.forEach((packageId) => void this.loadVersions(packageId)));
    });
  }

  protected choose(stepName: string, version: string): void {
    this.chosen.update((chosen) => ({ ...chosen, [stepName]: version }));
  }

  protected async create(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      const packages: ReleasePackage[] = this.packageSteps().map((step) => ({
        stepName: step.name,
        packageId: step.properties['packageId'] ?? '',
        version: this.chosen()[step.name] ?? '',
      }));
      const { version, notes } = this.form.getRawValue();
      const release = await this.projectsApi.createRelease(this.projectId(), {
        version: version.trim(),
        notes,
        packages,
      });
      this.form.reset();
      this.created.emit(release);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  private async loadVersions(packageId: string): Promise<void> {
    if (this.choicesByPackage()[packageId]) return;
    let choices: PackageChoices;
    try {
      const page = await this.packagesApi.list({ packageId, take: 100 });
      choices = { versions: newestFirst(page.items).map((pkg) => pkg.version) };
    } catch (error: unknown) {
      choices = { versions: [], error: apiErrorMessage(error) };
    }
    this.choicesByPackage.update((all) => ({ ...all, [packageId]: choices }));
    // Preselect the newest version for the steps deploying this package, as Octopus does.
    const newest = choices.versions[0];
    if (!newest) return;
    for (const step of this.packageSteps()) {
      if (step.properties['packageId'] === packageId && !this.chosen()[step.name])
        this.choose(step.name, newest);
    }
  }
}

function newestFirst(packages: Package[]): Package[] {
  return [...packages].sort((a, b) => b.publishedAt.localeCompare(a.publishedAt));
}
