import { NEVER, of, throwError } from 'rxjs';

import type { SharedStorageDiagnostic } from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';
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

function service(answer: () => ReturnType<authV1.AuthServiceClient['getDirectorySyncStatus']>) {
  const auth = { getDirectorySyncStatus: jest.fn(answer) };
  const sut = new NodeDiagnosticsService({ nodeName: 'node-a' }, { check: () => Promise.resolve(storage) }, {
    auth,
  } as unknown as Pick<BackendClients, 'auth'>);
  return { sut, auth };
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

  it('leaves the sync out for a caller without AdministerSystem, without asking auth', async () => {
    const { sut, auth } = service(() => of(aborted));
    const document = await sut.diagnostics(deployer);
    expect(document).toEqual({ nodeName: 'node-a', sharedStorage: storage });
    expect(auth.getDirectorySyncStatus).not.toHaveBeenCalled();
  });

  it('answers the rest of the document with the sync unknown when auth fails', async () => {
    const { sut } = service(() => throwError(() => new Error('14 UNAVAILABLE: No connection established')));
    const document = await sut.diagnostics(admin);
    expect(document.sharedStorage).toBe(storage);
    expect(document.directorySync).toMatchObject({ state: 'unknown' });
    expect(document.directorySync?.message).toMatch(/UNAVAILABLE/);
  });

  it('does not wait for ever on auth (a deadline, then unknown)', async () => {
    const { sut } = service(() => NEVER);
    expect((await sut.diagnostics(admin)).directorySync).toMatchObject({ state: 'unknown' });
  }, 20_000);
});
