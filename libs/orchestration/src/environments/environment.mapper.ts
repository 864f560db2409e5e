import type { orchestratorV1 } from '@flotilla/contracts';

import { isoOrEmpty } from '../shared/timestamps';
import { EnvironmentEntity } from './environment.entity';

export function toEnvironment(entity: EnvironmentEntity): orchestratorV1.Environment {
  return {
    id: entity.id,
    name: entity.name,
    slug: entity.slug,
    description: entity.description,
    sortOrder: entity.sortOrder,
    createdAt: isoOrEmpty(entity.createdAt),
  };
}
