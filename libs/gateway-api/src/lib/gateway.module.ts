import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';

import { NodeHeartbeatModule } from '@flotilla/cluster/heartbeat';
import type { FlotillaConfig } from '@flotilla/platform/config';
import { GrpcClientsModule } from '@flotilla/platform/grpc';
import { SharedStorageLayout, SharedStorageProbe } from '@flotilla/platform/storage';

import { GatewayConfigModule } from './config/gateway-config.module';
import { HttpErrorFilter } from './errors/http-error.filter';
import { GATEWAY_CONTROLLERS } from './gateway-controllers';
import { BackendClients } from './grpc/backend-clients';
import { NodeDiagnosticsService } from './health/node-diagnostics.service';
import { NodePingService } from './health/node-ping.service';
import { MultipartPackageUploader } from './packages/multipart-upload';
import { PackageDownloader } from './packages/package-download';
import { PackageUploader } from './packages/package-upload';
import { ClientIpResolver } from './security/client-ip-resolver';
import { GatewayAuthGuard } from './security/gateway-auth.guard';
import { StreamTickets } from './security/stream-tickets/stream-tickets.service';
import { TokenValidator } from './security/token-validator';
import { TrustedProxiesFollower } from './security/trusted-proxies-follower';
import { TaskLogStreamer } from './tasks/task-log-streamer';

/** The HTTP edge: REST controllers over gRPC clients of every backend service. */
@Module({})
export class GatewayModule {
  static forConfig(config: FlotillaConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        GatewayConfigModule.forValue(config),
        GrpcClientsModule.register(['auth', 'orchestrator', 'executor', 'artifacts', 'audit']),
        NodeHeartbeatModule.register('gateway'),
      ],
      controllers: [...GATEWAY_CONTROLLERS],
      providers: [
        BackendClients,
        ClientIpResolver,
        TrustedProxiesFollower,
        NodePingService,
        NodeDiagnosticsService,
        {
          provide: SharedStorageProbe,
          useValue: new SharedStorageProbe(new SharedStorageLayout(config.sharedStorage)),
        },
        TokenValidator,
        StreamTickets,
        PackageUploader,
        MultipartPackageUploader,
        PackageDownloader,
        TaskLogStreamer,
        { provide: APP_GUARD, useClass: GatewayAuthGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
