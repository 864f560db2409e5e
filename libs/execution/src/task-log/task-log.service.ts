import { status } from '@grpc/grpc-js';
import { Observable } from 'rxjs';

import { grantsOfCaller, Permission, permits } from '@flotilla/api-interfaces';
import { executorV1, orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, rpcErrorDetails, RpcErrors } from '@flotilla/platform/grpc';
import { SharedStorageLayout } from '@flotilla/platform/storage';

import { isFinishedTaskState, TaskOrchestrator } from '../collaborators/task-orchestrator';
import {
  countMarkedGapLines,
  OffsetBeyondEndError,
  readTaskLogFile,
  TaskLogRead,
} from './task-log-file-reader';
import { LOG_GAP_PREFIX } from './task-log-gap';

/** Task ids are UUIDs or similar; anything else never names a log file. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export interface FollowTiming {
  /** How often the file is checked for new lines. */
  pollMs: number;
  /** How often, at most, the orchestrator is asked whether the task finished. */
  stateCheckMs: number;
}

const DEFAULT_FOLLOW_TIMING: FollowTiming = { pollMs: 200, stateCheckMs: 1000 };

/**
 * Serves task logs from shared storage to any caller on any node. Whether a log is complete is
 * the orchestrator's word (the task finished) plus having read the file to its end: the writer
 * fsyncs its last line before it reports the task complete.
 *
 * A finished task whose executor lost lines it could not even mark (storage still full or
 * read-only when the task ended) gets a synthetic final `Log gap:` line, added here because every
 * reader passes here (REST read, live stream, from any node) and this is where the file and the
 * task's count meet. It is never stored and carries no bytes: offsets are unchanged, and a reader
 * sees it with the chunk that says the log is complete (again on every such read).
 *
 * Every read and follow first checks the caller's TaskView against the task's project and
 * environment (teams with scoped roles), from the orchestrator's word on the task: the executors
 * keep no project of their own. The gateway has asked the orchestrator as the user already; this
 * is the check in depth, so a caller who reaches an executor with a valid token for a scoped user
 * reads no log outside that user's scope. Out of scope answers as a missing task (NOT_FOUND), so
 * a log's existence is not disclosed.
 */
export class TaskLogService {
  constructor(
    private readonly layout: SharedStorageLayout,
    private readonly orchestrator: TaskOrchestrator,
    private readonly timing: FollowTiming = DEFAULT_FOLLOW_TIMING,
  ) {}

  async read(
    caller: CallerIdentity,
    request: executorV1.ReadTaskLogRequest,
  ): Promise<executorV1.TaskLogChunk> {
    const { path, offset, tail } = this.validate(request);
    await this.requireVisible(caller, request.taskId);
    const read = await this.readFile(path, offset, tail);
    // Only a read that reached the end can be complete; ask the orchestrator only then.
    const finished = read.atEnd ? await this.finishedTask(request.taskId) : undefined;
    if (!finished) return { lines: read.lines, nextOffset: read.nextOffset, complete: false };
    // Lines may have landed between the read and the state check; after it nothing more comes.
    const rest = await this.readFile(path, read.nextOffset, 0);
    return this.lastChunk([...read.lines, ...rest.lines], rest, path, finished);
  }

  /** New lines as they are written, ending with a chunk that has complete = true. */
  follow(
    caller: CallerIdentity,
    request: executorV1.ReadTaskLogRequest,
  ): Observable<executorV1.TaskLogChunk> {
    return new Observable<executorV1.TaskLogChunk>((subscriber) => {
      let stopped = false;
      let visible = false;
      let timer: NodeJS.Timeout | undefined;
      let offset = request.offset;
      let tail = request.tail;
      let lastStateCheck = 0;
      const step = async (): Promise<void> => {
        const { path } = this.validate({ ...request, offset, tail });
        if (!visible) {
          // Once, before the first line: the caller's grants are the token's, fixed for the call.
          await this.requireVisible(caller, request.taskId);
          visible = true;
        }
        const read = await this.readFile(path, offset, tail);
        tail = 0;
        offset = read.nextOffset;
        let finished: orchestratorV1.ServerTask | undefined;
        if (read.atEnd && Date.now() - lastStateCheck >= this.timing.stateCheckMs) {
          lastStateCheck = Date.now();
          finished = await this.finishedTask(request.taskId);
        }
        if (stopped) return;
        if (finished) {
          // Lines may have been written between the read and the state check.
          const rest = await this.readFile(path, offset, 0);
          const chunk = await this.lastChunk([...read.lines, ...rest.lines], rest, path, finished);
          if (stopped) return;
          subscriber.next(chunk);
          offset = rest.nextOffset;
          if (rest.atEnd) {
            subscriber.complete();
            return;
          }
          timer = setTimeout(run, 0);
          return;
        }
        if (read.lines.length > 0)
          subscriber.next({ lines: read.lines, nextOffset: offset, complete: false });
        timer = setTimeout(run, read.atEnd ? this.timing.pollMs : 0);
      };
      const run = (): void => {
        step().catch((error: unknown) => {
          if (!stopped) subscriber.error(error);
        });
      };
      run();
      return () => {
        // The caller cancelled (or the stream ended): stop polling.
        stopped = true;
        if (timer) clearTimeout(timer);
      };
    });
  }

  private validate(request: executorV1.ReadTaskLogRequest): { path: string; offset: number; tail: number } {
    if (!TASK_ID.test(request.taskId))
      throw RpcErrors.invalidArgument(`"${request.taskId}" is not a task id`);
    if (!Number.isSafeInteger(request.offset) || request.offset < 0) {
      throw RpcErrors.invalidArgument('offset must be a whole number of bytes, 0 or more');
    }
    if (!Number.isInteger(request.tail) || request.tail < 0)
      throw RpcErrors.invalidArgument('tail must be 0 or more');
    return { path: this.layout.taskLogPath(request.taskId), offset: request.offset, tail: request.tail };
  }

  private async readFile(path: string, offset: number, tail: number): Promise<TaskLogRead> {
    try {
      const read = await readTaskLogFile(path, offset, tail);
      if (read) return read;
    } catch (error) {
      if (error instanceof OffsetBeyondEndError) throw RpcErrors.invalidArgument(error.message);
      throw error;
    }
    // No file yet: a queued task has no log (that the task exists was checked first).
    if (offset > 0)
      throw RpcErrors.invalidArgument(`offset ${offset} is beyond the end of the log (0 bytes)`);
    return { lines: [], nextOffset: 0, atEnd: true };
  }

  /** The read after the task finished: complete once at the end, with the unmarked gap if any. */
  private async lastChunk(
    lines: executorV1.TaskLogLine[],
    rest: TaskLogRead,
    path: string,
    task: orchestratorV1.ServerTask,
  ): Promise<executorV1.TaskLogChunk> {
    if (!rest.atEnd) return { lines, nextOffset: rest.nextOffset, complete: false };
    const gap = await this.unmarkedGap(path, task);
    return { lines: gap ? [...lines, gap] : lines, nextOffset: rest.nextOffset, complete: true };
  }

  /** Lines the task reported lost that no marker in the file accounts for, as one final marker. */
  private async unmarkedGap(
    path: string,
    task: orchestratorV1.ServerTask,
  ): Promise<executorV1.TaskLogLine | undefined> {
    if (!(task.logLinesLost > 0)) return undefined;
    const unmarked = task.logLinesLost - (await countMarkedGapLines(path));
    if (unmarked <= 0) return undefined;
    return {
      timestamp: task.completedAt,
      level: 'Warning',
      message: `${LOG_GAP_PREFIX}${unmarked} line(s) could not be written before the task ended (${task.logProblem || 'reason not recorded'})`,
    };
  }

  private async requireVisible(caller: CallerIdentity, taskId: string): Promise<void> {
    const task = await this.task(taskId);
    const scope = { projectId: task.projectId, environmentId: task.environmentId };
    if (!permits(grantsOfCaller(caller), Permission.TaskView, scope)) throw taskNotFound(taskId);
  }

  private async finishedTask(taskId: string): Promise<orchestratorV1.ServerTask | undefined> {
    const task = await this.task(taskId);
    return isFinishedTaskState(task.state) ? task : undefined;
  }

  private async task(taskId: string): Promise<orchestratorV1.ServerTask> {
    try {
      return await this.orchestrator.getTask(taskId);
    } catch (error) {
      if (rpcErrorDetails(error)?.code === status.NOT_FOUND) throw taskNotFound(taskId);
      throw error;
    }
  }
}

function taskNotFound(taskId: string): Error {
  return RpcErrors.notFound(`Task ${taskId} was not found`);
}
