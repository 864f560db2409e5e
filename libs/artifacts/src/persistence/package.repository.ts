import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { dialectOf, dialectSql, isUniqueViolation } from '@flotilla/platform/persistence';

import type { PackageFileName } from '../file-names/package-file-name';
import { PackageEntity } from './package.entity';

export interface NewPackage {
  name: PackageFileName;
  sizeBytes: number;
  sha256: string;
}

export interface PackagePage {
  items: PackageEntity[];
  total: number;
}

export function packageAlreadyExists(packageId: string, version: string): Error {
  return RpcErrors.alreadyExists(`package ${packageId} version ${version} already exists`);
}

/** The packages table and its audit events; each change commits together with its audit row. */
@Injectable()
export class PackageRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  find(packageId: string, version: string): Promise<PackageEntity | null> {
    return this.dataSource.getRepository(PackageEntity).findOneBy({ packageId, version });
  }

  async list(filter: { packageId?: string; skip: number; take: number }): Promise<PackagePage> {
    const [items, total] = await this.dataSource.getRepository(PackageEntity).findAndCount({
      where: filter.packageId ? { packageId: filter.packageId } : {},
      order: { publishedAt: 'DESC', packageId: 'ASC', version: 'DESC' },
      skip: filter.skip,
      take: filter.take,
    });
    return { items, total };
  }

  /**
   * Records a package whose file is already durable, with its `package.pushed` audit event.
   * A concurrent insert of the same id and version fails with ALREADY_EXISTS.
   */
  async insert(pkg: NewPackage, actor: CallerIdentity): Promise<PackageEntity> {
    const { packageId, version, format, storedFileName } = pkg.name;
    const id = randomUUID();
    const now = dialectSql(dialectOf(this.dataSource)).now;
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager
          .createQueryBuilder()
          .insert()
          .into(PackageEntity)
          .values({
            id,
            packageId,
            version,
            format,
            fileName: storedFileName,
            sizeBytes: pkg.sizeBytes,
            sha256: pkg.sha256,
            publishedAt: () => now,
            publishedBy: actor.username || actor.userId || 'anonymous',
          })
          .execute();
        await this.audit.record(manager, {
          actor,
          action: 'package.pushed',
          resourceType: 'Package',
          resourceId: `${packageId}@${version}`,
          details: {
            packageId,
            version,
            format,
            fileName: storedFileName,
            sizeBytes: pkg.sizeBytes,
            sha256: pkg.sha256,
          },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw packageAlreadyExists(packageId, version);
      throw error;
    }
    // Read back for the database's published_at.
    return this.dataSource.getRepository(PackageEntity).findOneByOrFail({ id });
  }

  /** Deletes the row with its `package.deleted` audit event; null when there was none. */
  async delete(packageId: string, version: string, actor: CallerIdentity): Promise<PackageEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const existing = await manager.getRepository(PackageEntity).findOneBy({ packageId, version });
      if (!existing) return null;
      const result = await manager.getRepository(PackageEntity).delete({ id: existing.id });
      // A concurrent delete won the row; only one caller reports (and audits) the deletion.
      if (!result.affected) return null;
      await this.audit.record(manager, {
        actor,
        action: 'package.deleted',
        resourceType: 'Package',
        resourceId: `${packageId}@${version}`,
        details: { packageId, version, fileName: existing.fileName, sha256: existing.sha256 },
      });
      return existing;
    });
  }
}
