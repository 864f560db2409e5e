import { LOG_GAP_PREFIX, ServerTask, TaskLogLine } from '@flotilla/api-interfaces';

/**
 * What a task's state must add when its log is incomplete, e.g. "Success with warnings: 758 log
 * lines could not be written — shared storage full (ENOSPC)"; null when the log is complete.
 * A clean Success badge alone would hide that part of the record is missing.
 */
export function incompleteLogWarning(
  task: Pick<ServerTask, 'state' | 'logLinesLost' | 'logProblem'>,
): string | null {
  let what: string;
  if (task.logLinesLost > 0) {
    const lines = task.logLinesLost === 1 ? '1 log line' : `${task.logLinesLost} log lines`;
    what = `${lines} could not be written — ${task.logProblem || 'reason not recorded'}`;
  } else if (task.logProblem) {
    what = `the log may be incomplete — ${task.logProblem}`;
  } else {
    return null;
  }
  return task.state === 'Success' ? `Success with warnings: ${what}` : `Log incomplete: ${what}`;
}

/** A line standing where log lines are missing (written by the executor or added by the reader). */
export function isLogGap(line: TaskLogLine): boolean {
  return line.level === 'Warning' && line.message.startsWith(LOG_GAP_PREFIX);
}
