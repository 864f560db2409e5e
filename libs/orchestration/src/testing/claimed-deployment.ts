import { alice, executor } from './orchestration-fixtures';
import type { OrchestrationHarness } from './orchestration-harness';

/**
 * Deploys a release as alice, has an executor on `nodeName` claim the task and complete it, and
 * returns the plan the claim handed over (what the executor would run: steps, variables in clear).
 */
export async function deployAndClaim(
  harness: OrchestrationHarness,
  releaseId: string,
  environmentId: string,
  nodeName = 'node-a',
) {
  await harness.nodes.heartbeat({
    nodeName,
    service: 'executor',
    version: '1.0.0',
    defaultTaskCap: 5,
    stopping: false,
  });
  await harness.deployments.create(alice, { releaseId, environmentId });
  const { plan } = await harness.claimed.claim({ nodeName, freeSlots: 1 });
  if (!plan?.task) throw new Error('no task claimed');
  await harness.claimed.complete(executor, {
    taskId: plan.task.id,
    claim: plan.task.claim,
    state: 'Success',
    errorMessage: '',
    nextStep: 1,
    logLinesLost: 0,
    logProblem: '',
  });
  return plan;
}
