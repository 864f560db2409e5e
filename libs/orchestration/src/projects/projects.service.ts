import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { CallerScope } from '../shared/caller-scope';
import { isForeignKeyViolation } from '../shared/constraint-violations';
import { requiredId, slugOf, validDescription, validName } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { ProjectEntity } from './project.entity';
import { toProject } from './project.mapper';
import { ProjectsRepository } from './projects.repository';

@Injectable()
export class ProjectsService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(ProjectsRepository) private readonly projects: ProjectsRepository,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async create(
    actor: CallerIdentity,
    request: orchestratorV1.CreateProjectRequest,
  ): Promise<orchestratorV1.Project> {
    new CallerScope(actor).requireEverywhere(Permission.ProjectCreate);
    const name = validName(request.name, 'project');
    const slug = slugOf(name, 'project');
    const description = validDescription(request.description, 'project');
    const id = randomUUID();
    const created = await this.writing(name, () =>
      this.transactions.run(async (manager) => {
        await this.refuseClash(manager, name, slug, id);
        const project = await this.projects.insert(manager, { id, name, slug, description });
        await this.audit.record(manager, {
          actor,
          action: 'project.created',
          resourceType: 'Project',
          resourceId: id,
          details: { name, slug },
        });
        return project;
      }),
    );
    return toProject(created);
  }

  async get(caller: CallerIdentity, rawId: string): Promise<orchestratorV1.Project> {
    const id = requiredId(rawId, 'id');
    const project = await this.require(id);
    new CallerScope(caller).requireVisible(Permission.ProjectView, { projectId: id }, () => missing(id));
    return toProject(project);
  }

  async list(caller: CallerIdentity): Promise<orchestratorV1.ProjectList> {
    const visible = await this.projects.list(new CallerScope(caller).filter(Permission.ProjectView));
    return { items: visible.map(toProject) };
  }

  async update(
    actor: CallerIdentity,
    request: orchestratorV1.UpdateProjectRequest,
  ): Promise<orchestratorV1.Project> {
    const id = requiredId(request.id, 'id');
    const name = validName(request.name, 'project');
    const description = validDescription(request.description, 'project');
    const updated = await this.writing(name, () =>
      this.transactions.run(async (manager) => {
        const before = await this.require(id, manager);
        this.requireAllowed(actor, Permission.ProjectEdit, before);
        const clash = await this.projects.findClash(name, '', id, manager);
        if (clash) throw RpcErrors.alreadyExists(`a project named "${name}" already exists`);
        const after = await this.projects.update(manager, id, { name, description });
        await this.audit.record(manager, {
          actor,
          action: 'project.modified',
          resourceType: 'Project',
          resourceId: id,
          details: {
            name: { from: before.name, to: name },
            descriptionChanged: before.description !== description,
          },
        });
        return after;
      }),
    );
    return toProject(updated);
  }

  async delete(actor: CallerIdentity, rawId: string): Promise<void> {
    const id = requiredId(rawId, 'id');
    try {
      await this.transactions.run(async (manager) => {
        const project = await this.require(id, manager);
        this.requireAllowed(actor, Permission.ProjectDelete, project);
        if (await this.projects.hasReleases(manager, id)) {
          throw RpcErrors.failedPrecondition(`project "${project.name}" has releases and cannot be deleted`);
        }
        await this.projects.delete(manager, id);
        await this.audit.record(manager, {
          actor,
          action: 'project.deleted',
          resourceType: 'Project',
          resourceId: id,
          details: { name: project.name },
        });
      });
    } catch (error) {
      // A release created between the check and the delete.
      if (isForeignKeyViolation(error))
        throw RpcErrors.failedPrecondition('project has releases and cannot be deleted');
      throw error;
    }
  }

  private async require(id: string, manager?: EntityManager): Promise<ProjectEntity> {
    const project = await this.projects.findById(id, manager);
    if (!project) throw missing(id);
    return project;
  }

  private requireAllowed(actor: CallerIdentity, permission: Permission, project: ProjectEntity): void {
    new CallerScope(actor).requireAllowed(
      permission,
      Permission.ProjectView,
      { projectId: project.id },
      `project "${project.name}"`,
      () => missing(project.id),
    );
  }

  private async refuseClash(
    manager: EntityManager,
    name: string,
    slug: string,
    exceptId: string,
  ): Promise<void> {
    const clash = await this.projects.findClash(name, slug, exceptId, manager);
    if (clash?.name === name) throw RpcErrors.alreadyExists(`a project named "${name}" already exists`);
    if (clash) throw RpcErrors.alreadyExists(`project "${clash.name}" already uses the slug "${slug}"`);
  }

  /** Two writers racing past the clash check meet the unique index; report it the same way. */
  private async writing<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) throw RpcErrors.alreadyExists(`a project named "${name}" already exists`);
      throw error;
    }
  }
}

function missing(id: string): Error {
  return RpcErrors.notFound(`project ${id} not found`);
}
