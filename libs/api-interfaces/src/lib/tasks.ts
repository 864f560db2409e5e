import type { PageQuery } from './common';

export const TaskState = {
  Queued: 'Queued',
  Executing: 'Executing',
  Cancelling: 'Cancelling',
  Success: 'Success',
  Failed: 'Failed',
  Canceled: 'Canceled',
  TimedOut: 'TimedOut',
} as const;

export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export const TASK_STATES: readonly TaskState[] = Object.values(TaskState);

/** States after which a task never changes again. */
export const FINISHED_TASK_STATES: readonly TaskState[] = ['Success', 'Failed', 'Canceled', 'TimedOut'];

export interface ServerTask {
  id: string;
  name: string;
  description: string;
  state: TaskState;
  deploymentId: string;
  projectId: string;
  environmentId: string;
  /** The node that runs or ran the task; empty while queued. */
  nodeName: string;
  claim: number;
  /** ISO-8601; startedAt/completedAt are empty until then. */
  queuedAt: string;
  startedAt: string;
  completedAt: string;
  errorMessage: string;
  nextStep: number;
  /** Failed, timed out, an error message, or an incomplete log (a Success with warnings). */
  hasWarningsOrErrors: boolean;
  /**
   * Log lines the executor could not write to shared storage; 0 when the log is complete. The log
   * holds a `Warning` line starting with LOG_GAP_PREFIX where they are missing.
   */
  logLinesLost: number;
  /** Why the log is incomplete, for people ("shared storage full (ENOSPC)"); empty when complete. */
  logProblem: string;
}

/** Messages of log lines that stand where lines are missing start with this. */
export const LOG_GAP_PREFIX = 'Log gap: ';

export interface ListTasksQuery extends PageQuery {
  state?: TaskState;
  projectId?: string;
  environmentId?: string;
  node?: string;
}

export const TaskLogLevel = {
  Info: 'Info',
  Warning: 'Warning',
  Error: 'Error',
  Verbose: 'Verbose',
} as const;

export type TaskLogLevel = (typeof TaskLogLevel)[keyof typeof TaskLogLevel];

export interface TaskLogLine {
  /** ISO-8601 */
  timestamp: string;
  level: TaskLogLevel;
  message: string;
}

export interface TaskLogQuery {
  /** Byte offset to continue from (the previous response's nextOffset). */
  offset?: number;
  /** Only the last N lines, when offset is 0. */
  tail?: number;
}

export interface TaskLog {
  lines: TaskLogLine[];
  nextOffset: number;
  /** True once the task finished and every line has been read. */
  complete: boolean;
}

/**
 * GET /api/tasks/:id/log/stream (text/event-stream): `event: line` with a TaskLogLine as JSON data,
 * then one `event: complete` (data `{}`) when the task finished. Browsers' EventSource cannot send
 * headers, so this route also opens with `?ticket=<ticket>` from POST /api/tasks/:id/log/stream-tickets
 * (a session token or API key is never accepted in the URL).
 */
export const TaskLogStreamEvent = {
  Line: 'line',
  Complete: 'complete',
} as const;

export type TaskLogStreamEvent = (typeof TaskLogStreamEvent)[keyof typeof TaskLogStreamEvent];

/** POST /api/tasks/:id/log/stream-tickets: opens that task's log stream once, before expiresAt. */
export interface TaskLogStreamTicket {
  ticket: string;
  /** ISO 8601; at most 30 s after minting. */
  expiresAt: string;
}
