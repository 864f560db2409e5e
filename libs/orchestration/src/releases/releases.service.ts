import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';
import { MasterKeyring } from '@flotilla/platform/secrets';

import { ProcessesRepository } from '../processes/processes.repository';
import { projectAllowing } from '../projects/project-access';
import { ProjectsRepository } from '../projects/projects.repository';
import { CallerScope } from '../shared/caller-scope';
import { isForeignKeyViolation } from '../shared/constraint-violations';
import { MAX_DESCRIPTION_LENGTH, requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { sealSensitiveValues } from '../variables/sealed-variables';
import { VariablesRepository } from '../variables/variables.repository';
import { PACKAGE_CATALOG, PackageCatalog } from './package-catalog';
import { toRelease } from './release.mapper';
import { resolveReleasePackages, validReleaseVersion } from './release-rules';
import { ReleasesRepository } from './releases.repository';

@Injectable()
export class ReleasesService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(ProjectsRepository) private readonly projects: ProjectsRepository,
    @Inject(ProcessesRepository) private readonly processes: ProcessesRepository,
    @Inject(VariablesRepository) private readonly variables: VariablesRepository,
    @Inject(ReleasesRepository) private readonly releases: ReleasesRepository,
    @Inject(PACKAGE_CATALOG) private readonly catalog: PackageCatalog,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
    @Inject(MasterKeyring) private readonly keyring: MasterKeyring,
  ) {}

  /** Freezes the project's current process and variables into a new release. */
  async create(
    actor: CallerIdentity,
    request: orchestratorV1.CreateReleaseRequest,
  ): Promise<orchestratorV1.Release> {
    const projectId = requiredId(request.projectId, 'projectId');
    const version = validReleaseVersion(request.version);
    const notes = request.notes ?? '';
    if (notes.length > MAX_DESCRIPTION_LENGTH)
      throw RpcErrors.invalidArgument(`release notes must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
    const project = await projectAllowing(this.projects, actor, Permission.ReleaseCreate, projectId);
    const process = await this.processes.find(projectId);
    if (process.steps.length === 0) {
      throw RpcErrors.failedPrecondition(
        `project "${project.name}" has no deployment process yet; define one before creating a release`,
      );
    }
    const variables = await this.variables.findInClear(projectId);
    const packages = resolveReleasePackages(process.steps, request.packages);
    // Checked before the transaction: no database locks are held across a network call.
    const missing = await this.catalog.missing(actor, packages);
    if (missing.length > 0) {
      throw RpcErrors.invalidArgument(
        missing.map((p) => `package ${p.packageId} version ${p.version} not found`).join('; '),
      );
    }
    const id = randomUUID();
    try {
      const release = await this.transactions.run(async (manager) => {
        if (await this.releases.exists(projectId, version, manager)) throw duplicate(project.name, version);
        const created = await this.releases.insert(manager, {
          id,
          projectId,
          version,
          notes,
          packages: JSON.stringify(packages),
          steps: JSON.stringify(process.steps),
          // Sealed again, bound to this release: a snapshot's secrets are never stored in clear either.
          variables: JSON.stringify(sealSensitiveValues(this.keyring, { release: id }, variables.variables)),
          processVersion: process.version,
          retryable: process.retryable,
        });
        await this.audit.record(manager, {
          actor,
          action: 'release.created',
          resourceType: 'Release',
          resourceId: id,
          details: {
            projectId,
            version,
            processVersion: process.version,
            variablesVersion: variables.version,
            packages,
          },
        });
        return created;
      });
      return toRelease(release);
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicate(project.name, version);
      if (isForeignKeyViolation(error)) throw RpcErrors.notFound(`project ${projectId} not found`);
      throw error;
    }
  }

  async get(caller: CallerIdentity, rawId: string): Promise<orchestratorV1.Release> {
    const id = requiredId(rawId, 'id');
    const missing = () => RpcErrors.notFound(`release ${id} not found`);
    const release = await this.releases.findById(id);
    if (!release) throw missing();
    new CallerScope(caller).requireVisible(Permission.ReleaseView, { projectId: release.projectId }, missing);
    return toRelease(release);
  }

  /** Every release of a project shares its scope: the project is checked, not each release. */
  async listForProject(caller: CallerIdentity, rawProjectId: string): Promise<orchestratorV1.ReleaseList> {
    const projectId = requiredId(rawProjectId, 'id');
    await projectAllowing(this.projects, caller, Permission.ReleaseView, projectId);
    return { items: (await this.releases.listForProject(projectId)).map(toRelease) };
  }
}

function duplicate(projectName: string, version: string) {
  return RpcErrors.alreadyExists(`project "${projectName}" already has a release ${version}`);
}
