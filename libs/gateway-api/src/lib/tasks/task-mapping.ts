import type { ServerTask, TaskLog, TaskLogLevel, TaskLogLine, TaskState } from '@flotilla/api-interfaces';
import { executorV1, orchestratorV1 } from '@flotilla/contracts';

export function toServerTask(task: orchestratorV1.ServerTask): ServerTask {
  return {
    ...task,
    state: task.state as TaskState,
    // Named so the REST shape says it: a Success with lost log lines is a Success with warnings.
    logLinesLost: task.logLinesLost ?? 0,
    logProblem: task.logProblem ?? '',
  };
}

export function toTaskLogLine(line: executorV1.TaskLogLine): TaskLogLine {
  return { timestamp: line.timestamp, level: line.level as TaskLogLevel, message: line.message };
}

export function toTaskLog(chunk: executorV1.TaskLogChunk): TaskLog {
  return { lines: chunk.lines.map(toTaskLogLine), nextOffset: chunk.nextOffset, complete: chunk.complete };
}
