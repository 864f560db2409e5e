import { NEVER, of, throwError } from 'rxjs';

import type { SharedStorageDiagnostic } from '@flotilla/api-interfaces';
import type { auditV1, authV1 } from '@flotilla/contracts';
import type { CallerIdentity } from '@flotilla/platform/grpc';

import type { BackendClients } from '../grpc/backend-clients';

import { NodeDiagnosticsService } from './node-diagnostics.service';

const storage: SharedStorageDiagnostic = {
  writable: true,
  checkedAt: '2026-12-01T13:00:00.000Z',
  folders: [],
};
const admin: CallerIdentity = {
  userId: 'u1',
  username: 'admin',
  clientIp: '',
  permissions: ['AdministerSystem'],
};
const deployer: CallerIdentity = { userId: 'u2', username: 'dep', clientIp: '', permissions: ['TaskView'] };
const aborted: authV1.DirectorySyncStatus = {
  configured: true,
  lastAttemptAt: new Date().toISOString(),
  lastSuccessAt: '',
  lastFailureAt: new Date().toISOString(),
  lastFailureReason: 'No domain controller answered',
  directoryReachable: false,
  usersChecked: 0,
  usersDeactivated: 0,
  usersReactivated: 0,
  ranOn: 'node-a',
  intervalMs: 300_000,
  teamGroupsChecked: 0,
  groupMembershipsAdded: 0,
  groupMembershipsRemoved: 0,
  teamGroupsFailureReason: '',
};

const reviewer: CallerIdentity = { userId: 'u3', username: 'rev', clientIp: '', permissions: ['EventView'] };
const trail: auditV1.TrailHealth = {
  refusedEvents: 0,
  newestRefusal: undefined,
  headSequence: 42,
  newestCheckpointSignedAt: '2026-12-01T12:59:00.000Z',
  checkedAt: '2026-12-01T13:00:00.000Z',
  checkpointIntervalMs: 300_000,
};

function service(
  answer: () => ReturnType<authV1.AuthServiceClient['getDirectorySyncStatus']>,
  trailAnswer: () => ReturnType<auditV1.AuditServiceClient['health']> = () => of(trail),
) {
  const auth = { getDirectorySyncStatus: jest.fn(answer) };
  const audit = { health: jest.fn(trailAnswer) };
  const sut = new NodeDiagnosticsService({ nodeName: 'node-a' }, { check: () => Promise.resolve(storage) }, {
    auth,
    audit,
  } as unknown as Pick<BackendClients, 'auth' | 'audit'>);
  return { sut, auth, audit };
}

describe(NodeDiagnosticsService.name, () => {
  it("carries the sync's aborted pass as a degraded part of the document for an administrator", async () => {
    const { sut } = service(() => of(aborted));
    const document = await sut.diagnostics(admin);
    expect(document.sharedStorage).toBe(storage);
    expect(document.directorySync).toMatchObject({
      state: 'degraded',
      outcome: 'aborted',
      reason: 'No domain controller answered',
    });
  });

  it('leaves the sync and the trail out for a caller without AdministerSystem or EventView, asking nobody', async () => {
    const { sut, auth, audit } = service(() => of(aborted));
    const document = await sut.diagnostics(deployer);
    expect(document).toEqual({ nodeName: 'node-a', sharedStorage: storage });
    expect(auth.getDirectorySyncStatus).not.toHaveBeenCalled();
    expect(audit.health).not.toHaveBeenCalled();
  });

  it("carries the trail's health to a reviewer (EventView) and an administrator, the sync to the administrator only", async () => {
    const { sut, auth } = service(() => of(aborted));
    const forReviewer = await sut.diagnostics(reviewer);
    expect(forReviewer.auditTrail).toMatchObject({ state: 'ok', refusedEvents: 0, headSequence: 42 });
    expect(forReviewer.directorySync).toBeUndefined();
    expect(auth.getDirectorySyncStatus).not.toHaveBeenCalled();
    expect((await sut.diagnostics(admin)).auditTrail).toMatchObject({ state: 'ok' });
  });

  it('answers the rest of the document with the trail unknown when the audit service fails', async () => {
    const { sut } = service(
      () => of(aborted),
      () => throwError(() => new Error('14 UNAVAILABLE: No connection established')),
    );
    const document = await sut.diagnostics(reviewer);
    expect(document.sharedStorage).toBe(storage);
    expect(document.auditTrail).toMatchObject({ state: 'unknown' });
    expect(document.auditTrail?.message).toMatch(/UNAVAILABLE/);
  });

  it('answers the rest of the document with the sync unknown when auth fails', async () => {
    const { sut } = service(() => throwError(() => new Error('14 UNAVAILABLE: No connection established')));
    const document = await sut.diagnostics(admin);
    expect(document.sharedStorage).toBe(storage);
    expect(document.directorySync).toMatchObject({ state: 'unknown' });
    expect(document.directorySync?.message).toMatch(/UNAVAILABLE/);
  });

  it('does not wait for ever on auth or the audit service (a deadline, then unknown)', async () => {
    const { sut } = service(
      () => NEVER,
      () => NEVER,
    );
    const document = await sut.diagnostics(admin);
    expect(document.directorySync).toMatchObject({ state: 'unknown' });
    expect(document.auditTrail).toMatchObject({ state: 'unknown' });
  }, 20_000);
});
