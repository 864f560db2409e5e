import { TaskLog } from '../task-log/task-log-writer';

/** Whether a task's log is complete: lines that could not be written, and why (for people). */
export interface TaskLogIntegrity {
  /** 0: every line logged reached the log. */
  linesLost: number;
  /** Empty when the log is complete, e.g. "shared storage full (ENOSPC)". */
  problem: string;
}

/** The log of one task as the runner needs it. */
export interface TaskLogSink extends TaskLog {
  sync(): Promise<void>;
  close(): Promise<void>;
  abandon(): Promise<void>;
  /** Read after close(): what the task's completion reports about its log. */
  integrity(): TaskLogIntegrity;
}
