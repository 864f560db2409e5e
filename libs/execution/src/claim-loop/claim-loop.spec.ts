import { status } from '@grpc/grpc-js';

import { orchestratorV1 } from '@flotilla/contracts';

import { StrictOrchestrator } from '../test-support/strict-orchestrator';
import { ClaimLoop } from './claim-loop';

function planFor(id: string): orchestratorV1.TaskPlan {
  return { task: { id } as orchestratorV1.ServerTask } as orchestratorV1.TaskPlan;
}

/** Hands out the queued tasks one claim at a time; every other call fails the test. */
class FakeQueue extends StrictOrchestrator {
  readonly claims: orchestratorV1.ClaimTaskRequest[] = [];
  failWith: Error | undefined;
  constructor(public queued: string[]) {
    super();
  }
  override claimTask(request: orchestratorV1.ClaimTaskRequest): Promise<orchestratorV1.ClaimTaskReply> {
    this.claims.push(request);
    if (this.failWith) return Promise.reject(this.failWith);
    const id = this.queued.shift();
    return Promise.resolve({ plan: id ? planFor(id) : undefined });
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

function setup(queued: string[], initialCap = 2) {
  let taskCap = initialCap;
  const queue = new FakeQueue(queued);
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const warnings: string[] = [];
  const sut = new ClaimLoop({
    nodeName: 'node-a',
    gate: { freeSlots: (running) => taskCap - running },
    pollIntervalMs: 60_000,
    orchestrator: queue,
    runTask: (plan) => {
      const id = plan.task?.id ?? '';
      started.push(id);
      return new Promise<void>((resolve) => finishers.set(id, resolve));
    },
    logger: { warn: (message) => warnings.push(message) },
  });
  return { sut, queue, started, finishers, warnings, setCap: (cap: number) => (taskCap = cap) };
}

describe(ClaimLoop.name, () => {
  it('claims in a loop up to the task cap, telling the orchestrator its free slots', async () => {
    const { sut, queue, started } = setup(['t1', 't2', 't3'], 2);
    sut.start();
    await settle();
    expect(started).toEqual(['t1', 't2']);
    expect(queue.claims).toEqual([
      { nodeName: 'node-a', freeSlots: 2 },
      { nodeName: 'node-a', freeSlots: 1 },
    ]);
    await sut.stop();
  });

  it('claims again as soon as a task ends', async () => {
    const { sut, started, finishers } = setup(['t1', 't2'], 1);
    sut.start();
    await settle();
    expect(started).toEqual(['t1']);
    finishers.get('t1')?.();
    await settle();
    expect(started).toEqual(['t1', 't2']);
    await sut.stop();
  });

  it('claims when woken, without waiting for the poll interval', async () => {
    const { sut, queue, started } = setup([], 2);
    sut.start();
    await settle();
    queue.queued.push('t9');
    sut.wake();
    await settle();
    expect(started).toEqual(['t9']);
    await sut.stop();
  });

  it('claims nothing once stopped', async () => {
    const { sut, queue, started } = setup([], 2);
    sut.start();
    await settle();
    await sut.stop();
    queue.queued.push('late');
    sut.wake();
    await settle();
    expect(started).toEqual([]);
  });

  it('survives an unreachable orchestrator and warns once for repeated failures', async () => {
    const { sut, queue, warnings, started } = setup([], 2);
    queue.failWith = Object.assign(new Error('down'), {
      code: status.UNAVAILABLE,
      details: 'connection refused',
    });
    sut.start();
    await settle();
    sut.wake();
    await settle();
    expect(warnings).toEqual(['Claiming tasks failed: connection refused']);
    queue.failWith = undefined;
    queue.queued.push('t1');
    sut.wake();
    await settle();
    expect(started).toEqual(['t1']);
    await sut.stop();
  });

  it('waits for running tasks, but only as long as asked', async () => {
    const { sut, finishers } = setup(['t1'], 1);
    sut.start();
    await settle();
    await expect(sut.waitForRunningTasks(20)).resolves.toBe(false);
    finishers.get('t1')?.();
    await expect(sut.waitForRunningTasks(1000)).resolves.toBe(true);
    await sut.stop();
  });

  it('follows a cap changed at run time: lowering it keeps running tasks, only holds new claims', async () => {
    const { sut, queue, started, finishers, setCap } = setup(['t1', 't2', 't3', 't4'], 2);
    sut.start();
    await settle();
    setCap(1);
    finishers.get('t1')?.();
    await settle();
    // Two were running, the cap is 1 now: t2 goes on, nothing new until it ends.
    expect(started).toEqual(['t1', 't2']);
    expect(sut.runningCount).toBe(1);
    finishers.get('t2')?.();
    await settle();
    expect(started).toEqual(['t1', 't2', 't3']);
    setCap(3);
    sut.wake();
    await settle();
    expect(started).toEqual(['t1', 't2', 't3', 't4']);
    expect(queue.claims.at(-1)).toEqual({ nodeName: 'node-a', freeSlots: 1 });
    await sut.stop();
  });
});
