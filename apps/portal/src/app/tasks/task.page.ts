import { DatePipe } from '@angular/common';
import {
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  effect,
  ElementRef,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import {
  FINISHED_TASK_STATES,
  Permission,
  ServerTask,
  TaskLogLine,
  TaskState,
} from '@flotilla/api-interfaces';

import { TasksApi } from '../api/tasks-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { permittedIn } from '../project/scoped-permission';
import { TokenStore } from '../core/token-store';
import { TaskStateBadgeComponent } from '../shared/task-state-badge.component';
import { followTaskLog } from './task-log-stream';
import { incompleteLogWarning, isLogGap } from './task-log-warning';

/** While running, the state is re-read this often (the stream carries log lines, not states). */
const STATE_REFRESH_MS = 3000;
const RECONNECT_DELAY_MS = 2000;
/** After this many broken streams in a row, stop and show the log as read once over plain HTTP. */
const MAX_STREAM_BREAKS = 5;
const CANCELLABLE: readonly TaskState[] = ['Queued', 'Executing'];

type LogStatus = 'live' | 'reconnecting' | 'complete' | 'snapshot';

/** One server task: its state, a Cancel button, and its log as it is written. */
@Component({
  selector: 'flotilla-task',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, RouterLink, TaskStateBadgeComponent],
  templateUrl: './task.page.html',
  // Where lines are missing must stand out in a long log, not pass as one more warning.
  styles: `
    .log-line.log-gap {
      background: #4a3b00;
      outline: 1px solid #f2c94c;
    }
    .log-line.log-gap .message {
      font-weight: 600;
    }
    .log-warning {
      padding: 0.5rem 0.75rem;
      background: #fdf0d5;
      color: #7a5200;
      border: 1px solid #f0d9a8;
      border-radius: 4px;
    }
  `,
})
export class TaskPage {
  /** From the route (:taskId). */
  readonly taskId = input.required<string>();

  protected readonly session = inject(SessionService);
  private readonly api = inject(TasksApi);
  private readonly tokens = inject(TokenStore);
  protected readonly task = signal<ServerTask | null>(null);
  protected readonly lines = signal<TaskLogLine[]>([]);
  protected readonly logStatus = signal<LogStatus>('live');
  protected readonly error = signal<string | null>(null);
  protected readonly cancelling = signal(false);
  protected readonly finished = computed(() => {
    const state = this.task()?.state;
    return state !== undefined && FINISHED_TASK_STATES.includes(state);
  });
  protected readonly logWarning = computed(() => {
    const task = this.task();
    return task ? incompleteLogWarning(task) : null;
  });
  protected readonly isLogGap = isLogGap;
  /** In the task's own project and environment: a team grant may allow cancelling elsewhere only. */
  protected readonly canCancel = computed(() => {
    const task = this.task();
    if (!task || !CANCELLABLE.includes(task.state)) return false;
    const scope = { projectId: task.projectId, environmentId: task.environmentId };
    return permittedIn(this.session, Permission.TaskCancel, scope);
  });

  private readonly logBox = viewChild<ElementRef<HTMLElement>>('logBox');
  /** Follow the tail unless the user scrolled up to read. */
  private followTail = true;
  private pending: TaskLogLine[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private closeStream: (() => void) | undefined;
  /** Bumped by every follow and stop, so a ticket that arrives after either opens nothing. */
  private streamGeneration = 0;
  private breaks = 0;

  constructor() {
    effect(() => {
      const taskId = this.taskId();
      untracked(() => this.start(taskId));
    });
    afterRenderEffect(() => {
      this.lines();
      const box = this.logBox()?.nativeElement;
      if (box && this.followTail) box.scrollTop = box.scrollHeight;
    });
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  protected onLogScroll(box: HTMLElement): void {
    this.followTail = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  }

  protected async cancel(): Promise<void> {
    this.cancelling.set(true);
    this.error.set(null);
    try {
      await this.api.cancel(this.taskId());
      await this.refresh(this.taskId());
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.cancelling.set(false);
    }
  }

  private start(taskId: string): void {
    this.stop();
    this.task.set(null);
    this.breaks = 0;
    void this.refresh(taskId);
    this.follow(taskId);
    this.refreshTimer = setInterval(() => {
      if (!this.finished()) void this.refresh(taskId);
    }, STATE_REFRESH_MS);
  }

  private follow(taskId: string): void {
    if (!this.tokens.token()) return;
    const generation = ++this.streamGeneration;
    // Every (re)connection replays the log from its start, so start from an empty view.
    this.pending = [];
    this.lines.set([]);
    this.logStatus.set('live');
    // A fresh single-use ticket for each connection: a reconnect cannot reuse the last one.
    this.api.streamTicket(taskId).then(
      ({ ticket }) => {
        if (generation !== this.streamGeneration) return;
        this.closeStream = followTaskLog(this.api.logStreamUrl(taskId, ticket), {
          line: (line) => this.append(line),
          complete: () => {
            this.flush();
            this.logStatus.set('complete');
            void this.refresh(taskId);
          },
          broken: () => this.onStreamBroken(taskId),
        });
      },
      () => {
        if (generation === this.streamGeneration) this.onStreamBroken(taskId);
      },
    );
  }

  private onStreamBroken(taskId: string): void {
    this.breaks++;
    if (this.breaks > MAX_STREAM_BREAKS) {
      void this.readWholeLog(taskId);
      return;
    }
    this.logStatus.set('reconnecting');
    this.reconnectTimer = setTimeout(() => this.follow(taskId), RECONNECT_DELAY_MS);
  }

  /** Lines arrive in bursts; render them in batches rather than once per line. */
  private append(line: TaskLogLine): void {
    this.pending.push(line);
    this.flushTimer ??= setTimeout(() => this.flush(), 50);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.lines.update((lines) => [...lines, ...batch]);
  }

  private async readWholeLog(taskId: string): Promise<void> {
    this.logStatus.set('snapshot');
    try {
      this.lines.set((await this.api.log(taskId)).lines);
    } catch (error: unknown) {
      this.error.set(`The live log is unavailable: ${apiErrorMessage(error)}`);
    }
  }

  private async refresh(taskId: string): Promise<void> {
    try {
      this.task.set(await this.api.get(taskId));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private stop(): void {
    this.streamGeneration++;
    this.closeStream?.();
    this.closeStream = undefined;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.refreshTimer);
  }
}
