import { snapshotStepCount } from './dead-node-recovery.repository';

describe(snapshotStepCount.name, () => {
  it('counts the steps of a release snapshot', () => {
    expect(snapshotStepCount('[{"name":"Run"}]')).toBe(1);
    expect(snapshotStepCount('[{"name":"One"},{"name":"Two"},{"name":"Three"}]')).toBe(3);
    expect(snapshotStepCount('[]')).toBe(0);
  });

  it('knows no count for a snapshot it cannot read as a list of steps', () => {
    for (const unreadable of [null, '', '{"steps":[]}', '[{"name":', 'null', '3'])
      expect(snapshotStepCount(unreadable)).toBeNull();
  });
});
