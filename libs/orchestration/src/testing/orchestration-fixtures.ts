import { ALL_PERMISSIONS } from '@flotilla/api-interfaces';
import type { orchestratorV1 } from '@flotilla/contracts';
import type { CallerIdentity } from '@flotilla/platform/grpc';

import type { OrchestrationHarness } from './orchestration-harness';

/** An administrator: every permission, everywhere (the services check permissions with permits()). */
export const alice: CallerIdentity = {
  userId: 'u-alice',
  username: 'alice',
  clientIp: '192.0.2.10',
  permissions: [...ALL_PERMISSIONS],
};
export const executor: CallerIdentity = {
  userId: 'system:executor',
  username: 'system:executor',
  clientIp: '',
  permissions: [],
};

export const scriptStep = (name: string, scriptBody = 'echo hi'): orchestratorV1.DeploymentStep => ({
  name,
  actionType: 'run-script',
  properties: { scriptBody },
});

/** A project with a one-step process and a release, ready to deploy. */
export async function projectWithRelease(
  sut: OrchestrationHarness,
  name: string,
  steps: orchestratorV1.DeploymentStep[] = [scriptStep('Say hello')],
): Promise<{ project: orchestratorV1.Project; release: orchestratorV1.Release }> {
  const project = await sut.projects.create(alice, { name, description: '' });
  await sut.processes.update(alice, { projectId: project.id, steps, retryable: false });
  const release = await sut.releases.create(alice, {
    projectId: project.id,
    version: '1.0.0',
    notes: '',
    packages: [],
  });
  return { project, release };
}

export function environmentNamed(
  sut: OrchestrationHarness,
  name: string,
): Promise<orchestratorV1.Environment> {
  return sut.environments.create(alice, { name, description: '' });
}
