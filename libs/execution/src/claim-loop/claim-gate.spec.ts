import { orchestratorV1 } from '@flotilla/contracts';

import { ClaimGate } from './claim-gate';

function node(overrides: Partial<orchestratorV1.ClusterNode> = {}): orchestratorV1.ClusterNode {
  return {
    name: 'node-a',
    state: 'Running',
    lastSeen: '',
    taskCap: 3,
    runningTasks: 0,
    isDraining: false,
    services: ['deployment-executor'],
    version: '1.0.0',
    startedAt: '',
    overLicenceLimit: false,
    statusMessage: '',
    ...overrides,
  };
}

function setup() {
  let now = 1_000;
  const warnings: string[] = [];
  const logs: string[] = [];
  const sut = new ClaimGate({
    heartbeatTimeoutMs: 30_000,
    now: () => now,
    logger: { warn: (message) => warnings.push(message), log: (message) => logs.push(message) },
  });
  return {
    sut,
    warnings,
    logs,
    advance: (ms: number) => (now += ms),
    beat: (overrides: Partial<orchestratorV1.ClusterNode> = {}) =>
      sut.heartbeatSucceeded(node(overrides), now),
  };
}

describe(ClaimGate.name, () => {
  it('claims nothing before the first heartbeat got through', () => {
    const { sut } = setup();
    expect(sut.decide(0)).toEqual({ freeSlots: 0, reason: 'no heartbeat has got through yet' });
    expect(sut.isAlive()).toBe(false);
  });

  it('uses the task cap from the heartbeat reply, minus the running tasks', () => {
    const { sut, beat } = setup();
    beat({ taskCap: 3 });
    expect(sut.freeSlots(0)).toBe(3);
    expect(sut.freeSlots(2)).toBe(1);
    beat({ taskCap: 7 });
    expect(sut.freeSlots(2)).toBe(5);
  });

  it('holds new claims, without touching running tasks, when the cap is lowered below them', () => {
    const { sut, beat, logs } = setup();
    beat({ taskCap: 5 });
    beat({ taskCap: 1 });
    expect(sut.decide(3)).toEqual({ freeSlots: 0, reason: 'the node runs 3 task(s), its cap is 1' });
    expect(sut.freeSlots(0)).toBe(1);
    expect(logs).toContain('Node node-a: task cap changed from 5 to 1');
  });

  it('claims nothing while the node is draining, and again once it is not', () => {
    const { sut, beat } = setup();
    beat({ isDraining: true });
    expect(sut.decide(0)).toEqual({ freeSlots: 0, reason: 'the node is draining' });
    beat({ isDraining: false });
    expect(sut.freeSlots(0)).toBe(3);
  });

  it('claims nothing over the licence limit and warns the status message once per change', () => {
    const { sut, beat, warnings, logs } = setup();
    const message = 'The licence allows 1 node(s); this node is beyond the limit and runs no tasks';
    beat({ overLicenceLimit: true, statusMessage: message });
    beat({ overLicenceLimit: true, statusMessage: message });
    expect(sut.decide(0)).toEqual({ freeSlots: 0, reason: message });
    expect(warnings).toEqual([`Node node-a: ${message}`]);
    beat();
    expect(sut.freeSlots(0)).toBe(3);
    expect(logs).toContain('Node node-a: status message cleared');
    expect(warnings).toHaveLength(1);
  });

  it('stops claiming once no heartbeat got through for the heartbeat timeout', () => {
    const { sut, beat, advance } = setup();
    beat();
    advance(29_999);
    expect(sut.freeSlots(0)).toBe(3);
    expect(sut.isAlive()).toBe(true);
    advance(1);
    expect(sut.decide(0).freeSlots).toBe(0);
    expect(sut.decide(0).reason).toContain('may consider this node dead');
    expect(sut.isAlive()).toBe(false);
    beat();
    expect(sut.freeSlots(0)).toBe(3);
  });

  it('counts liveness from when the heartbeat was sent, not when its reply came', () => {
    const { sut, advance } = setup();
    const sentAt = 1_000;
    advance(20_000);
    sut.heartbeatSucceeded(node(), sentAt);
    advance(10_000);
    expect(sut.isAlive()).toBe(false);
  });

  it('claims nothing more once the node is stopping, whatever heartbeats say', () => {
    const { sut, beat } = setup();
    beat();
    expect(sut.isStopping()).toBe(false);
    sut.stopClaiming();
    beat();
    expect(sut.decide(0)).toEqual({ freeSlots: 0, reason: 'the node is stopping' });
    expect(sut.isStopping()).toBe(true);
  });
});
