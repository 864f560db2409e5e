import { Permission } from '@flotilla/api-interfaces';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import type { EntityManager } from 'typeorm';

import { CallerScope } from '../shared/caller-scope';
import type { ProjectEntity } from './project.entity';
import type { ProjectsRepository } from './projects.repository';

/**
 * The project a project-level call (process, variables, releases) is about, once `permission` is
 * given to the caller on it: NOT_FOUND, as for a missing project, when the caller may not see it
 * (ProjectView), PERMISSION_DENIED when they see it but lack `permission` there (CallerScope).
 */
export async function projectAllowing(
  projects: ProjectsRepository,
  caller: CallerIdentity,
  permission: Permission,
  projectId: string,
  manager?: EntityManager,
): Promise<ProjectEntity> {
  const missing = () => RpcErrors.notFound(`project ${projectId} not found`);
  const project = await projects.findById(projectId, manager);
  if (!project) throw missing();
  new CallerScope(caller).requireAllowed(
    permission,
    Permission.ProjectView,
    { projectId },
    `project "${project.name}"`,
    missing,
  );
  return project;
}
