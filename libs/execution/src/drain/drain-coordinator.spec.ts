import { status } from '@grpc/grpc-js';

import { orchestratorV1 } from '@flotilla/contracts';

import { StoppedTask } from '../task-runner/task-runner';
import { DrainCoordinator, RunningTasks } from './drain-coordinator';

/** Tasks that end when the test says so; handBack stops one and reports where it was. */
class FakeTasks implements RunningTasks {
  readonly running = new Map<string, { claim: number; nextStep: number }>();
  readonly handedBack: { taskId: string; reason: string }[] = [];
  private waiters: (() => void)[] = [];

  finish(taskId: string): void {
    this.running.delete(taskId);
    for (const wake of this.waiters) wake();
  }
  runningTaskIds(): string[] {
    return [...this.running.keys()];
  }
  waitUntilIdle(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const check = () => {
        if (this.running.size > 0) return;
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(check);
      check();
    });
  }
  handBack(taskId: string, reason: string): Promise<StoppedTask | undefined> {
    this.handedBack.push({ taskId, reason });
    const task = this.running.get(taskId);
    this.running.delete(taskId);
    return Promise.resolve(task && { taskId, ...task });
  }
}

function setup(drainTimeoutMs: number) {
  const tasks = new FakeTasks();
  const releases: orchestratorV1.ReleaseTaskRequest[] = [];
  const events: string[] = [];
  const logs: string[] = [];
  let releaseAnswer: () => void = () => undefined;
  const sut = new DrainCoordinator({
    nodeName: 'node-a',
    drainTimeoutMs,
    stopClaiming: () => {
      events.push('stop claiming');
      return Promise.resolve();
    },
    tasks,
    orchestrator: {
      releaseTask: (request) => {
        releases.push(request);
        return Promise.resolve()
          .then(() => releaseAnswer())
          .then(() => ({}) as orchestratorV1.ServerTask);
      },
    },
    progressLogIntervalMs: 20,
    releaseRetryDelaysMs: [1, 1],
    logger: { log: (message) => logs.push(message), warn: (message) => logs.push(message) },
  });
  return { sut, tasks, releases, events, logs, answerReleaseWith: (fn: () => void) => (releaseAnswer = fn) };
}

describe(DrainCoordinator.name, () => {
  it('stops claiming and hands nothing back when the tasks finish in time', async () => {
    const { sut, tasks, releases, events, logs } = setup(2000);
    tasks.running.set('t1', { claim: 1, nextStep: 0 });
    setTimeout(() => tasks.finish('t1'), 70);
    await expect(sut.drain()).resolves.toEqual({ finished: true });
    expect(events).toEqual(['stop claiming']);
    expect(tasks.handedBack).toEqual([]);
    expect(releases).toEqual([]);
    expect(logs.some((line) => /1 task\(s\) still running, \ds left/.test(line))).toBe(true);
  });

  it('at the deadline kills what still runs and releases it at its next step', async () => {
    const { sut, tasks, releases } = setup(60);
    tasks.running.set('t1', { claim: 4, nextStep: 2 });
    tasks.running.set('t2', { claim: 1, nextStep: 0 });
    await expect(sut.drain()).resolves.toEqual({ finished: false, released: ['t1', 't2'], notReleased: [] });
    expect(tasks.handedBack).toEqual([
      { taskId: 't1', reason: 'Node node-a is stopping' },
      { taskId: 't2', reason: 'Node node-a is stopping' },
    ]);
    expect(releases).toEqual([
      { taskId: 't1', claim: 4, nextStep: 2, reason: 'Node node-a is stopping' },
      { taskId: 't2', claim: 1, nextStep: 0, reason: 'Node node-a is stopping' },
    ]);
  });

  it('just stops when ReleaseTask is refused because the claim is stale', async () => {
    const { sut, tasks, releases, logs, answerReleaseWith } = setup(0);
    tasks.running.set('t1', { claim: 1, nextStep: 1 });
    answerReleaseWith(() => {
      throw Object.assign(new Error('stale'), {
        code: status.FAILED_PRECONDITION,
        details: 'claim 1 is stale',
      });
    });
    await expect(sut.drain()).resolves.toEqual({ finished: false, released: [], notReleased: ['t1'] });
    expect(releases).toHaveLength(1);
    expect(logs.join('\n')).toContain('claim 1 is stale');
  });

  it('retries ReleaseTask briefly while the orchestrator is unreachable', async () => {
    const { sut, tasks, releases, answerReleaseWith } = setup(0);
    tasks.running.set('t1', { claim: 1, nextStep: 1 });
    answerReleaseWith(() => {
      if (releases.length < 3) throw Object.assign(new Error('down'), { code: status.UNAVAILABLE });
    });
    await expect(sut.drain()).resolves.toEqual({ finished: false, released: ['t1'], notReleased: [] });
    expect(releases).toHaveLength(3);
  });

  it('retries ReleaseTask through an orchestrator that answers UNKNOWN while its database is away', async () => {
    const { sut, tasks, releases, answerReleaseWith } = setup(0);
    tasks.running.set('t1', { claim: 1, nextStep: 1 });
    answerReleaseWith(() => {
      if (releases.length < 3)
        throw Object.assign(new Error('db'), { code: status.UNKNOWN, details: 'Internal server error' });
    });
    await expect(sut.drain()).resolves.toEqual({ finished: false, released: ['t1'], notReleased: [] });
    expect(releases).toHaveLength(3);
  });

  it('stops trying to hand a task back after a bounded number of attempts, leaving it to recovery', async () => {
    const { sut, tasks, releases, logs, answerReleaseWith } = setup(0);
    tasks.running.set('t1', { claim: 1, nextStep: 1 });
    answerReleaseWith(() => {
      throw Object.assign(new Error('down'), { code: status.UNAVAILABLE, details: 'orchestrator down' });
    });
    await expect(sut.drain()).resolves.toEqual({ finished: false, released: [], notReleased: ['t1'] });
    // releaseRetryDelaysMs [1, 1]: the first attempt and two retries.
    expect(releases).toHaveLength(3);
    expect(logs.join('\n')).toContain('the orchestrator recovers it when this node is seen dead');
  });

  it('does not retry a ReleaseTask the orchestrator refuses outright', async () => {
    const { sut, tasks, releases, answerReleaseWith } = setup(0);
    tasks.running.set('t1', { claim: 1, nextStep: 1 });
    answerReleaseWith(() => {
      throw Object.assign(new Error('bad'), {
        code: status.INVALID_ARGUMENT,
        details: 'nextStep must not be negative',
      });
    });
    await expect(sut.drain()).resolves.toEqual({ finished: false, released: [], notReleased: ['t1'] });
    expect(releases).toHaveLength(1);
  });

  it('releases nothing for a task that ended while it was being stopped', async () => {
    const { sut, tasks, releases } = setup(0);
    tasks.running.set('t1', { claim: 1, nextStep: 1 });
    tasks.handBack = (taskId, reason) => {
      tasks.handedBack.push({ taskId, reason });
      tasks.running.delete(taskId);
      return Promise.resolve(undefined);
    };
    await expect(sut.drain()).resolves.toEqual({ finished: false, released: [], notReleased: ['t1'] });
    expect(releases).toEqual([]);
  });
});
