import { TaskLogLine, TaskLogStreamEvent } from '@flotilla/api-interfaces';

export interface TaskLogStreamHandlers {
  line(line: TaskLogLine): void;
  /** The task finished and every line was sent. */
  complete(): void;
  /** The connection broke before `complete` (network, node restart, expired session). */
  broken(): void;
}

/**
 * Follows a task's live log over server-sent events. EventSource would silently reconnect and
 * replay the log from the start, so instead a break is reported once and the caller decides.
 * Returns a function that closes the stream.
 */
export function followTaskLog(url: string, handlers: TaskLogStreamHandlers): () => void {
  const source = new EventSource(url);
  source.addEventListener(TaskLogStreamEvent.Line, (event: MessageEvent<string>) => {
    const line = parseLine(event.data);
    if (line) handlers.line(line);
  });
  source.addEventListener(TaskLogStreamEvent.Complete, () => {
    source.close();
    handlers.complete();
  });
  source.addEventListener('error', () => {
    source.close();
    handlers.broken();
  });
  return () => source.close();
}

function parseLine(data: string): TaskLogLine | null {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== 'object' || value === null || !('message' in value)) return null;
    return value as TaskLogLine;
  } catch {
    return null;
  }
}
