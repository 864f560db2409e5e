import { Inject, Injectable } from '@nestjs/common';

import type { artifactsV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { parsePackageFileName } from '../file-names/package-file-name';
import { PackageEntity } from '../persistence/package.entity';
import { packageAlreadyExists, PackageRepository } from '../persistence/package.repository';
import { PackageFileExistsError, PackageStorage } from '../storage/package-storage';
import { receivePackageData } from './receive-package-data';

/**
 * Takes one package upload from its first message to a published, recorded package, or leaves
 * nothing behind: the data goes to a temp file, is published without clobbering, and is
 * recorded in the database only once the file is durable.
 */
@Injectable()
export class PackageUploadService {
  constructor(
    @Inject(PackageRepository) private readonly packages: PackageRepository,
    @Inject(PackageStorage) private readonly storage: PackageStorage,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'maxPackageBytes'>,
  ) {}

  /**
   * `messages` is consumed as it is read; the first message must be the header. `cancelled`
   * aborts when the client goes away: nothing is published after that.
   */
  async upload(
    messages: AsyncIterator<artifactsV1.UploadPackageChunk>,
    actor: CallerIdentity,
    cancelled: AbortSignal,
  ): Promise<PackageEntity> {
    const first = await messages.next();
    const header = first.done ? undefined : first.value.header;
    if (!header) {
      await messages.return?.();
      throw RpcErrors.invalidArgument('The first upload message must carry the header with the file name');
    }
    const name = parsePackageFileName(header.fileName);
    // Refuse a duplicate before any byte is written; publish checks again (file, then row).
    if (await this.packages.find(name.packageId, name.version)) {
      await messages.return?.();
      throw packageAlreadyExists(name.packageId, name.version);
    }

    const tempPath = this.storage.newTempPath();
    let publishedPath: string | undefined;
    try {
      const received = await receivePackageData(
        { [Symbol.asyncIterator]: () => messages },
        this.storage.openTempWriter(tempPath),
        { format: name.format, maxBytes: this.config.maxPackageBytes, signal: cancelled },
      );
      publishedPath = await this.storage.publishNoClobber(tempPath, name.storedFileName);
      cancelled.throwIfAborted();
      const record = await this.packages.insert({ name, ...received }, actor);
      publishedPath = undefined;
      return record;
    } catch (error) {
      await this.storage.removeQuietly(tempPath);
      // The file we linked has no row: take it back so the name is free again.
      if (publishedPath) await this.storage.removeQuietly(publishedPath);
      if (error instanceof PackageFileExistsError) throw packageAlreadyExists(name.packageId, name.version);
      throw error;
    }
  }
}
