/** Severity of one task log record, as the portal shows it. */
export type TaskLogLevel = 'Info' | 'Warning' | 'Error' | 'Verbose';

/**
 * One record of a task log file (`TaskLogs/<task>.log`): a JSON object and "\n", so a record is
 * one line. The executor writes its task's records; recovery appends one system record after it
 * took the task back. Both go through here so there is one format.
 */
export function formatTaskLogRecord(timestamp: string, level: TaskLogLevel, message: string): string {
  return `${JSON.stringify({ timestamp, level, message })}\n`;
}
