import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ReadStream } from 'node:fs';

import type { artifactsV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { storageFailureOf } from '@flotilla/platform/storage';

import {
  assertValidPackageRef,
  isValidPackageId,
  MAX_PACKAGE_ID_LENGTH,
} from '../file-names/package-file-name';
import { PackageEntity } from '../persistence/package.entity';
import { PackagePage, PackageRepository } from '../persistence/package.repository';
import { PackageStorage } from '../storage/package-storage';
import { storageRpcError } from '../storage/storage-rpc-error';

export const DELETE_PERMISSION = 'BuiltInFeedAdminister';
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

export interface OpenedPackage {
  record: PackageEntity;
  content: ReadStream;
}

/** Reading, listing and deleting packages of the built-in feed. */
@Injectable()
export class PackageFeedService {
  private readonly logger = new Logger(PackageFeedService.name);

  constructor(
    @Inject(PackageRepository) private readonly packages: PackageRepository,
    @Inject(PackageStorage) private readonly storage: PackageStorage,
  ) {}

  async get(ref: artifactsV1.PackageRef): Promise<PackageEntity> {
    assertValidPackageRef(ref);
    const record = await this.packages.find(ref.packageId, ref.version);
    if (!record) throw RpcErrors.notFound(`package ${ref.packageId} version ${ref.version} was not found`);
    return record;
  }

  list(request: artifactsV1.ListPackagesRequest): Promise<PackagePage> {
    if (request.packageId && !isValidPackageId(request.packageId)) {
      throw RpcErrors.invalidArgument(
        `Invalid package id filter: at most ${MAX_PACKAGE_ID_LENGTH} letters, digits, ".", "_" or "-"`,
      );
    }
    if (request.skip < 0 || request.take < 0 || request.take > MAX_PAGE_SIZE) {
      throw RpcErrors.invalidArgument(
        `skip must be 0 or more and take from 0 to ${MAX_PAGE_SIZE} (0 means ${DEFAULT_PAGE_SIZE})`,
      );
    }
    return this.packages.list({
      packageId: request.packageId || undefined,
      skip: request.skip,
      take: request.take || DEFAULT_PAGE_SIZE,
    });
  }

  /** The record and an open stream of its file, so a missing file is reported before any data. */
  async open(ref: artifactsV1.PackageRef): Promise<OpenedPackage> {
    const record = await this.get(ref);
    try {
      return { record, content: await this.storage.openReader(record.fileName) };
    } catch (error) {
      const failure = storageFailureOf(error);
      if (failure) {
        this.logger.warn(
          `download of ${record.fileName} failed, shared storage ${failure.kind}: ${String(error)}`,
        );
        throw storageRpcError(failure, 'the package could not be read');
      }
      throw RpcErrors.notFound(
        `The file of package ${ref.packageId} version ${ref.version} is missing from shared storage`,
      );
    }
  }

  /** Removes the row (with its audit event) first, then the file: a row never points at nothing. */
  async delete(ref: artifactsV1.PackageRef, actor: CallerIdentity): Promise<void> {
    if (!actor.permissions.includes(DELETE_PERMISSION)) {
      throw RpcErrors.permissionDenied(`Deleting a package needs the ${DELETE_PERMISSION} permission`);
    }
    assertValidPackageRef(ref);
    const deleted = await this.packages.delete(ref.packageId, ref.version, actor);
    if (!deleted) throw RpcErrors.notFound(`package ${ref.packageId} version ${ref.version} was not found`);
    try {
      await this.storage.remove(deleted.fileName);
    } catch (error) {
      const failure = storageFailureOf(error);
      if (!failure) throw error;
      // The row and its audit event are committed: say so, so nobody retries a delete that happened.
      this.logger.warn(
        `Packages/${deleted.fileName} stays on disk, shared storage ${failure.kind}: ${String(error)}`,
      );
      throw storageRpcError(
        failure,
        'the package was removed from the feed but its file could not be deleted',
      );
    }
  }
}
