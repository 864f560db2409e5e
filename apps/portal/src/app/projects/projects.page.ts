import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, OnInit, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { Permission, Project } from '@flotilla/api-interfaces';

import { ProjectsApi } from '../api/projects-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { required } from '../core/validators';

@Component({
  selector: 'flotilla-projects',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, RouterLink, DatePipe],
  template: `
    <h1>Projects</h1>
    @if (session.can(permission.ProjectCreate)) {
      <form
        class="card inline-form"
        [formGroup]="form"
        (ngSubmit)="create()"
        data-testid="create-project-form"
      >
        <h2>New project</h2>
        <div class="field">
          <label for="project-name">Name</label>
          <input id="project-name" formControlName="name" data-testid="create-project-name" />
        </div>
        <div class="field grow">
          <label for="project-description">Description</label>
          <input
            id="project-description"
            formControlName="description"
            data-testid="create-project-description"
          />
        </div>
        <button type="submit" [disabled]="form.invalid || creating()" data-testid="create-project-submit">
          {{ creating() ? 'Creating…' : 'Create project' }}
        </button>
        @if (createError(); as message) {
          <p class="error" role="alert" data-testid="create-project-error">{{ message }}</p>
        }
      </form>
    }
    @if (loading()) {
      <p class="muted">Loading projects…</p>
    } @else if (loadError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (projects().length === 0) {
      <p class="muted">No projects yet.</p>
    } @else {
      <table data-testid="projects-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Description</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          @for (project of projects(); track project.id) {
            <tr data-testid="project-row">
              <td>
                <a [routerLink]="['/projects', project.id]">{{ project.name }}</a>
              </td>
              <td>{{ project.description }}</td>
              <td>{{ project.createdAt | date: 'medium' }}</td>
            </tr>
          }
        </tbody>
      </table>
    }
  `,
})
export class ProjectsPage implements OnInit {
  protected readonly session = inject(SessionService);
  protected readonly permission = Permission;
  private readonly api = inject(ProjectsApi);
  private readonly router = inject(Router);

  protected readonly projects = signal<Project[]>([]);
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
      const project = await this.api.create(this.form.getRawValue());
      await this.router.navigate(['/projects', project.id]);
    } catch (error: unknown) {
      this.createError.set(apiErrorMessage(error));
    } finally {
      this.creating.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      this.projects.set(await this.api.list());
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
