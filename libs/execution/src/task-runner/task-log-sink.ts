import { TaskLog } from '../task-log/task-log-writer';

/** The log of one task as the runner needs it. */
export interface TaskLogSink extends TaskLog {
  sync(): Promise<void>;
  close(): Promise<void>;
  abandon(): Promise<void>;
}
