import { throughputOf, TimedTask } from './throughput-stats';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const task = (
  node: string,
  queued: number,
  started: number,
  completed: number,
  state = 'Success',
): TimedTask => ({
  state,
  nodeName: node,
  queuedAt: at(queued),
  startedAt: at(started),
  completedAt: at(completed),
});

describe(throughputOf.name, () => {
  it('measures from the first startedAt to the last completedAt', () => {
    const figures = throughputOf([
      task('node-1', 0, 1, 2),
      task('node-2', 0, 1, 3),
      task('node-1', 1, 2, 4, 'Failed'),
      task('node-1', 2, 3, 4),
    ]);
    expect(figures.spanMs).toBe(3000);
    expect(figures.tasksPerSecond).toBeCloseTo(4 / 3);
    expect(figures.succeeded).toBe(3);
    expect(figures.byNode).toEqual(
      new Map([
        ['node-1', { tasks: 3, mostAtOnce: 2 }],
        ['node-2', { tasks: 1, mostAtOnce: 1 }],
      ]),
    );
  });

  it('refuses a batch that has not finished', () => {
    expect(() => throughputOf([{ ...task('node-1', 0, 1, 2), completedAt: '' }])).toThrow('not completed');
  });
});
