import type { orchestratorV1 } from '@flotilla/contracts';

import { parseJson } from '../shared/json-column';
import { isoOrEmpty } from '../shared/timestamps';
import { ReleaseEntity } from './release.entity';

export function toRelease(entity: ReleaseEntity): orchestratorV1.Release {
  return {
    id: entity.id,
    projectId: entity.projectId,
    version: entity.version,
    notes: entity.notes,
    packages: parseJson<orchestratorV1.ReleasePackage[]>(entity.packages, 'release packages'),
    processVersion: entity.processVersion,
    createdAt: isoOrEmpty(entity.createdAt),
  };
}
