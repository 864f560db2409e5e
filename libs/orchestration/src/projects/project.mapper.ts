import type { orchestratorV1 } from '@flotilla/contracts';

import { isoOrEmpty } from '../shared/timestamps';
import { ProjectEntity } from './project.entity';

export function toProject(entity: ProjectEntity): orchestratorV1.Project {
  return {
    id: entity.id,
    name: entity.name,
    slug: entity.slug,
    description: entity.description,
    createdAt: isoOrEmpty(entity.createdAt),
    updatedAt: isoOrEmpty(entity.updatedAt),
  };
}
