import { mostAtOnce } from '@flotilla/testing';

/** The task fields the throughput figures read (ISO-8601, database time). */
export interface TimedTask {
  state: string;
  nodeName: string;
  queuedAt: string;
  startedAt: string;
  completedAt: string;
}

export interface NodeLoad {
  tasks: number;
  /** The most of its tasks that ran at once (from startedAt/completedAt): bounded by its cap. */
  mostAtOnce: number;
}

export interface ThroughputFigures {
  tasks: number;
  succeeded: number;
  /** First startedAt to last completedAt: the cluster executing a full queue. */
  spanMs: number;
  tasksPerSecond: number;
  byNode: Map<string, NodeLoad>;
}

/** Throughput of a finished batch, on the database clock. */
export function throughputOf(tasks: readonly TimedTask[]): ThroughputFigures {
  if (tasks.length === 0) throw new Error('no tasks');
  const unfinished = tasks.filter((task) => !task.completedAt);
  if (unfinished.length) throw new Error(`${unfinished.length} task(s) have not completed`);
  const firstStarted = Math.min(...tasks.map((task) => Date.parse(task.startedAt || task.completedAt)));
  const lastCompleted = Math.max(...tasks.map((task) => Date.parse(task.completedAt)));
  const spanMs = lastCompleted - firstStarted;
  const byNode = new Map<string, NodeLoad>();
  for (const node of [...new Set(tasks.map((task) => task.nodeName))].sort()) {
    const ofNode = tasks.filter((task) => task.nodeName === node);
    byNode.set(node || '(none)', {
      tasks: ofNode.length,
      mostAtOnce: mostAtOnce(
        ofNode
          .filter((task) => task.startedAt)
          .map((task) => ({ from: Date.parse(task.startedAt), to: Date.parse(task.completedAt) })),
      ),
    });
  }
  return {
    tasks: tasks.length,
    succeeded: tasks.filter((task) => task.state === 'Success').length,
    spanMs,
    tasksPerSecond: spanMs > 0 ? tasks.length / (spanMs / 1000) : Number.NaN,
    byNode,
  };
}
