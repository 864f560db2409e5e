import type { orchestratorV1 } from '@flotilla/contracts';

import { decidePing, PingInput } from './ping-decision';

const RUNNING: orchestratorV1.ClusterNode = {
  name: 'node-a',
  state: 'Running',
  lastSeen: '2024-01-01T00:00:00.000Z',
  taskCap: 5,
  runningTasks: 1,
  isDraining: false,
  services: ['gateway', 'auth'],
  version: '1.0.0',
  startedAt: '2024-01-01T00:00:00.000Z',
  overLicenceLimit: false,
  statusMessage: '',
};

function input(overrides: Partial<PingInput> = {}): PingInput {
  return {
    nodeName: 'node-a',
    version: '1.0.0',
    stopping: false,
    known: { node: RUNNING, ageMs: 500 },
    heartbeatTimeoutMs: 30_000,
    time: '2024-01-01T00:00:01.000Z',
    ...overrides,
  };
}

describe(decidePing.name, () => {
  it('answers 200 with the node for a running node within the licence', () => {
    const sut = decidePing(input());
    expect(sut.status).toBe(200);
    expect(sut.body).toMatchObject({
      name: 'node-a',
      state: 'Running',
      isDraining: false,
      overLicenceLimit: false,
      taskCap: 5,
      runningTasks: 1,
      services: ['gateway', 'auth'],
    });
  });

  it('answers 418 while the node is draining', () => {
    const node = { ...RUNNING, state: 'Draining', isDraining: true };
    const sut = decidePing(input({ known: { node, ageMs: 0 } }));
    expect(sut.status).toBe(418);
    expect(sut.body).toMatchObject({ isDraining: true, statusMessage: 'Node node-a is draining' });
  });

  it('answers 418 with the orchestrator’s reason when the node is over the licence limit', () => {
    const node = { ...RUNNING, overLicenceLimit: true, statusMessage: 'The licence allows 1 node' };
    const sut = decidePing(input({ known: { node, ageMs: 0 } }));
    expect(sut.status).toBe(418);
    expect(sut.body).toMatchObject({ overLicenceLimit: true, statusMessage: 'The licence allows 1 node' });
  });

  it('answers 418 at once when the gateway is stopping, even for a running node', () => {
    const sut = decidePing(input({ stopping: true }));
    expect(sut.status).toBe(418);
    expect(sut.body.statusMessage).toBe('Node node-a is stopping');
  });

  it('keeps serving on a stale state younger than the heartbeat timeout (orchestrator briefly away)', () => {
    expect(decidePing(input({ known: { node: RUNNING, ageMs: 29_000 } })).status).toBe(200);
  });

  it('answers 503 once the last known state is older than the heartbeat timeout', () => {
    const sut = decidePing(input({ known: { node: RUNNING, ageMs: 31_000 } }));
    expect(sut.status).toBe(503);
    expect(sut.body.statusMessage).toContain('for 31 s');
  });

  it('answers 503 before the node ever reached the cluster', () => {
    const sut = decidePing(input({ known: undefined }));
    expect(sut.status).toBe(503);
    expect(sut.body).toMatchObject({ name: 'node-a', state: 'Unknown' });
  });

  it('answers 503 when the cluster says the node is offline', () => {
    const sut = decidePing(input({ known: { node: { ...RUNNING, state: 'Offline' }, ageMs: 0 } }));
    expect(sut.status).toBe(503);
  });
});
