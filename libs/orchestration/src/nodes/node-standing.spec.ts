import { claimRefusal, describeNodes, nodeState, nodesOverLicenceLimit, NodeLicence } from './node-standing';
import type { NodeRecord } from './nodes.repository';

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 12, minute));

function node(name: string, startedMinute: number, overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    name,
    services: ['executor'],
    version: '1.0.0',
    startedAt: at(startedMinute),
    lastSeen: at(59),
    taskCap: 5,
    isDraining: false,
    isStopping: false,
    isOffline: false,
    runningTasks: 0,
    ...overrides,
  };
}

describe(nodeState.name, () => {
  it('is Offline before anything else, then Draining (by flag or while stopping), else Running', () => {
    expect(nodeState({ isOffline: true, isDraining: true, isStopping: true })).toBe('Offline');
    expect(nodeState({ isOffline: false, isDraining: true, isStopping: false })).toBe('Draining');
    expect(nodeState({ isOffline: false, isDraining: false, isStopping: true })).toBe('Draining');
    expect(nodeState({ isOffline: false, isDraining: false, isStopping: false })).toBe('Running');
  });
});

describe(nodesOverLicenceLimit.name, () => {
  const sut = nodesOverLicenceLimit;

  it('keeps the first nodes by first registration within the limit, whatever their names', () => {
    const nodes = [node('a-late', 30), node('z-first', 1), node('m-second', 2)];

    expect(sut(nodes, { nodeLimit: 2 })).toEqual(new Set(['a-late']));
    expect(sut(nodes, { nodeLimit: 1 })).toEqual(new Set(['a-late', 'm-second']));
  });

  it('does not count offline nodes, so a live node moves up when an earlier one dies', () => {
    const nodes = [node('first', 1, { isOffline: true }), node('second', 2), node('third', 3)];

    expect(sut(nodes, { nodeLimit: 2 })).toEqual(new Set());
    expect(sut(nodes, { nodeLimit: 1 })).toEqual(new Set(['third']));
  });

  it('breaks a tie in registration time by name, so every replica agrees', () => {
    expect(sut([node('b', 1), node('a', 1)], { nodeLimit: 1 })).toEqual(new Set(['b']));
  });

  it('limits nothing when the licence is Unlimited', () => {
    expect(sut([node('a', 1), node('b', 2), node('c', 3)], { nodeLimit: 'Unlimited' })).toEqual(new Set());
  });
});

describe(describeNodes.name, () => {
  const licence: NodeLicence = { nodeLimit: 2, label: 'licence for Acme' };

  it('says why a node runs no tasks, and what the others do', () => {
    const views = describeNodes(
      [
        node('one', 1, { runningTasks: 2 }),
        node('two', 2, { isDraining: true }),
        node('three', 3),
        node('gone', 0, { isOffline: true, lastSeen: at(5) }),
      ],
      licence,
    );

    expect(
      views.map(({ name, state, overLicenceLimit, statusMessage }) => ({
        name,
        state,
        overLicenceLimit,
        statusMessage,
      })),
    ).toEqual([
      {
        name: 'one',
        state: 'Running',
        overLicenceLimit: false,
        statusMessage: 'Running: 2 of 5 task slots in use',
      },
      {
        name: 'two',
        state: 'Draining',
        overLicenceLimit: false,
        statusMessage: 'Draining: finishes its running tasks and takes no new ones',
      },
      {
        name: 'three',
        state: 'Running',
        overLicenceLimit: true,
        statusMessage: 'Node limit of 2 reached (licence for Acme): this node runs no tasks',
      },
      {
        name: 'gone',
        state: 'Offline',
        overLicenceLimit: false,
        statusMessage: 'Offline: not seen since 2030-01-01T12:05:00.000Z',
      },
    ]);
  });
});

describe(claimRefusal.name, () => {
  const sut = claimRefusal;
  const view = (overrides: Partial<NodeRecord>, nodeLimit: NodeLicence['nodeLimit'] = 'Unlimited') =>
    describeNodes([node('n', 1, overrides)], { nodeLimit, label: 'no licence' })[0];

  it('lets a running node with a free slot claim', () => {
    expect(sut(view({ runningTasks: 4 }))).toBeUndefined();
  });

  it('refuses an unknown, offline, draining, stopping, over-limit or full node', () => {
    expect(sut(undefined)).toBe('the node has not registered (no heartbeat yet)');
    expect(sut(view({ isOffline: true }))).toBe('the node is offline');
    expect(sut(view({ isDraining: true }))).toBe('the node is draining');
    expect(sut(view({ isStopping: true }))).toBe('the node is stopping');
    expect(view({ isStopping: true }).statusMessage).toMatch(/^Stopping: /);
    expect(sut(view({ runningTasks: 5 }))).toBe('the node is at its task cap (5 of 5)');
    expect(sut(view({ taskCap: 0 }))).toBe('the node is at its task cap (0 of 0)');
    const overLimit = describeNodes([node('first', 1), node('n', 2)], {
      nodeLimit: 1,
      label: 'no licence',
    })[1];
    expect(sut(overLimit)).toBe('Node limit of 1 reached (no licence): this node runs no tasks');
  });
});
