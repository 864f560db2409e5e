import { Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';

import { auditOutboxEntity, AuditOutboxModule, auditOutboxProvenanceMigration } from '@flotilla/audit/outbox';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { SharedStorageLayout } from '@flotilla/platform/storage';

import { PackageFeedService } from './feed/package-feed.service';
import { ArtifactsGrpcController } from './grpc/artifacts.grpc-controller';
import { CreatePackages1764200000400 } from './persistence/1764200000400-create-packages';
import { AddAuditOutboxForwardedFor1764200000410 } from './persistence/1764200000410-add-audit-outbox-forwarded-for';
import { PackageEntity } from './persistence/package.entity';
import { PackageRepository } from './persistence/package.repository';
import { PackageStorage } from './storage/package-storage';
import { PackageUploadService } from './upload/package-upload.service';

export const ArtifactsEntities = [PackageEntity, auditOutboxEntity('artifacts')];
export const ArtifactsMigrations = [
  CreatePackages1764200000400,
  AddAuditOutboxForwardedFor1764200000410,
  // The outbox's provenance columns (sign-in method, key id, socket peer, node, request, outcome, scope).
  auditOutboxProvenanceMigration('artifacts', 1764200000429),
];

/** Temp files of uploads whose process died; live uploads rewrite theirs far more often than this. */
const ABANDONED_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;

@Injectable()
class SharedStorageStartup implements OnModuleInit {
  private readonly logger = new Logger('ArtifactsModule');

  constructor(
    @Inject(SharedStorageLayout) private readonly layout: SharedStorageLayout,
    @Inject(PackageStorage) private readonly storage: PackageStorage,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.layout.ensureFolders();
    const removed = await this.storage.sweepAbandonedTempFiles(ABANDONED_UPLOAD_AGE_MS);
    if (removed > 0) this.logger.warn(`removed ${removed} abandoned upload temp file(s) from Packages/`);
  }
}

/**
 * The built-in package feed (flotilla.artifacts.v1.ArtifactService). Needs the global
 * FLOTILLA_CONFIG and a DataSource over `ArtifactsEntities` (DatabaseModule).
 */
@Module({
  imports: [AuditOutboxModule.register('artifacts')],
  controllers: [ArtifactsGrpcController],
  providers: [
    {
      provide: SharedStorageLayout,
      inject: [FLOTILLA_CONFIG],
      useFactory: (config: FlotillaConfig) => new SharedStorageLayout(config.sharedStorage),
    },
    {
      provide: PackageStorage,
      inject: [SharedStorageLayout],
      useFactory: (layout: SharedStorageLayout) => new PackageStorage(layout),
    },
    PackageRepository,
    PackageUploadService,
    PackageFeedService,
    SharedStorageStartup,
  ],
})
export class ArtifactsModule {}
