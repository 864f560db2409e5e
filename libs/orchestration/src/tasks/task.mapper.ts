import type { orchestratorV1 } from '@flotilla/contracts';

import { isoOrEmpty } from '../shared/timestamps';
import { ServerTaskEntity } from './server-task.entity';

export function toServerTask(entity: ServerTaskEntity): orchestratorV1.ServerTask {
  return {
    id: entity.id,
    name: entity.name,
    description: entity.description,
    state: entity.state,
    deploymentId: entity.deploymentId,
    projectId: entity.projectId,
    environmentId: entity.environmentId,
    nodeName: entity.nodeName ?? '',
    claim: entity.claim,
    queuedAt: isoOrEmpty(entity.queuedAt),
    startedAt: isoOrEmpty(entity.startedAt),
    completedAt: isoOrEmpty(entity.completedAt),
    errorMessage: entity.errorMessage ?? '',
    nextStep: entity.nextStep,
    // A Success whose log is incomplete is a Success with warnings.
    hasWarningsOrErrors:
      entity.state === 'Failed' ||
      entity.state === 'TimedOut' ||
      Boolean(entity.errorMessage) ||
      entity.logLinesLost > 0 ||
      Boolean(entity.logProblem),
    logLinesLost: entity.logLinesLost,
    logProblem: entity.logProblem ?? '',
  };
}
