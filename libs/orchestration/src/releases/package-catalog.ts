import { Metadata, status } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import { ClientGrpc, RpcException } from '@nestjs/microservices';
import { lastValueFrom, timeout } from 'rxjs';

import { artifactsV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import {
  CallerIdentity,
  grpcClientToken,
  identityToMetadata,
  rpcErrorDetails,
} from '@flotilla/platform/grpc';

import type { orchestratorV1 } from '@flotilla/contracts';

/** Tells whether package versions exist in the feed; a release may only name ones that do. */
export interface PackageCatalog {
  /** The packages among the given ones that the feed does not hold. */
  missing(
    actor: CallerIdentity,
    packages: readonly orchestratorV1.ReleasePackage[],
  ): Promise<orchestratorV1.ReleasePackage[]>;
}

export const PACKAGE_CATALOG = Symbol('PACKAGE_CATALOG');

const LOOKUP_TIMEOUT_MS = 10_000;

/** The package feed as seen through the artifact store's gRPC API. */
@Injectable()
export class ArtifactStorePackageCatalog implements PackageCatalog {
  private client: artifactsV1.ArtifactServiceClient | undefined;

  constructor(@Inject(grpcClientToken('artifacts')) private readonly grpc: ClientGrpc) {}

  async missing(
    actor: CallerIdentity,
    packages: readonly orchestratorV1.ReleasePackage[],
  ): Promise<orchestratorV1.ReleasePackage[]> {
    const metadata = identityToMetadata(actor, new Metadata());
    const found = await Promise.all(packages.map((entry) => this.exists(entry, metadata)));
    return packages.filter((_, index) => !found[index]);
  }

  private async exists(entry: orchestratorV1.ReleasePackage, metadata: Metadata): Promise<boolean> {
    this.client ??= this.grpc.getService<artifactsV1.ArtifactServiceClient>(
      SERVICE_CONTRACTS.artifacts.serviceName,
    );
    try {
      await lastValueFrom(
        this.client
          .getPackage({ packageId: entry.packageId, version: entry.version }, metadata)
          .pipe(timeout(LOOKUP_TIMEOUT_MS)),
      );
      return true;
    } catch (error) {
      const details = rpcErrorDetails(error);
      if (details?.code === status.NOT_FOUND) return false;
      const reason = details?.message ?? (error instanceof Error ? error.message : String(error));
      throw new RpcException({
        code: status.UNAVAILABLE,
        message: `cannot check packages with the artifact store: ${reason}`,
      });
    }
  }
}
