import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, OnInit, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { ServerTask, TASK_STATES, TaskState } from '@flotilla/api-interfaces';

import { TasksApi } from '../api/tasks-api';
import { apiErrorMessage } from '../core/api-error';
import { PagerComponent } from '../shared/pager.component';
import { TaskStateBadgeComponent } from '../shared/task-state-badge.component';
import { incompleteLogWarning } from './task-log-warning';

const PAGE_SIZE = 25;

@Component({
  selector: 'flotilla-tasks',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, RouterLink, PagerComponent, TaskStateBadgeComponent],
  template: `
    <h1>Tasks</h1>
    <div class="filters">
      <label for="task-state-filter">State</label>
      <select
        id="task-state-filter"
        #stateFilter
        (change)="filterBy(stateFilter.value)"
        data-testid="task-state-filter"
      >
        <option value="">Any</option>
        @for (state of states; track state) {
          <option [value]="state">{{ state }}</option>
        }
      </select>
      <button type="button" class="secondary" (click)="load()">Refresh</button>
    </div>
    @if (error(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    }
    @if (loading() && tasks().length === 0) {
      <p class="muted">Loading tasks…</p>
    } @else if (tasks().length === 0) {
      <p class="muted">No tasks.</p>
    } @else {
      <table data-testid="tasks-table">
        <thead>
          <tr>
            <th>Task</th>
            <th>State</th>
            <th>Node</th>
            <th>Queued</th>
            <th>Completed</th>
          </tr>
        </thead>
        <tbody>
          @for (task of tasks(); track task.id) {
            <tr data-testid="task-row">
              <td>
                <a [routerLink]="['/tasks', task.id]">{{ task.description || task.name }}</a>
              </td>
              <td>
                <flotilla-task-state [state]="task.state" />
                @if (logWarning(task); as warning) {
                  <span class="small log-incomplete" [title]="warning" data-testid="task-log-incomplete">
                    {{ task.state === 'Success' ? 'with warnings' : 'log incomplete' }}
                  </span>
                }
              </td>
              <td>{{ task.nodeName }}</td>
              <td>{{ task.queuedAt | date: 'medium' }}</td>
              <td>{{ task.completedAt ? (task.completedAt | date: 'medium') : '' }}</td>
            </tr>
          }
        </tbody>
      </table>
      <flotilla-pager [skip]="skip()" [take]="pageSize" [total]="total()" (skipChange)="goTo($event)" />
    }
  `,
  styles: `
    .log-incomplete {
      margin-left: 0.5rem;
      color: #7a5200;
    }
  `,
})
export class TasksPage implements OnInit {
  protected readonly states = TASK_STATES;
  /** A Success with lost log lines must not look like a clean one in the list either. */
  protected readonly logWarning = incompleteLogWarning;
  protected readonly pageSize = PAGE_SIZE;
  private readonly api = inject(TasksApi);

  protected readonly tasks = signal<ServerTask[]>([]);
  protected readonly total = signal(0);
  protected readonly skip = signal(0);
  private readonly state = signal<TaskState | undefined>(undefined);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);

  ngOnInit(): void {
    void this.load();
  }

  protected filterBy(state: string): void {
    this.state.set(TASK_STATES.find((known) => known === state));
    this.goTo(0);
  }

  protected goTo(skip: number): void {
    this.skip.set(skip);
    void this.load();
  }

  protected async load(): Promise<void> {
    this.loading.set(true);
    this.error.set(null);
    try {
      const page = await this.api.list({ state: this.state(), skip: this.skip(), take: PAGE_SIZE });
      this.tasks.set(page.items);
      this.total.set(page.total);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
