import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { ClientGrpc } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';

import { auditV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';
import {
  GrpcClientsModule,
  grpcClientToken,
  identityToMetadata,
  systemIdentity,
} from '@flotilla/platform/grpc';

import { AuditOutboxRelay } from './audit-outbox-relay';
import { AuditRecorder } from './audit-recorder';

@Injectable()
class RelayLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(AuditOutboxRelay) private readonly relay: AuditOutboxRelay) {}

  onModuleInit(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * Gives a service an `AuditRecorder` writing to its own outbox table and a relay to the audit
 * service. Add `auditOutboxEntity(service)` to the service's entities and create the table in
 * one of its migrations with `createAuditOutboxTable`.
 */
@Module({})
export class AuditOutboxModule {
  static register(service: string): DynamicModule {
    return {
      module: AuditOutboxModule,
      imports: [GrpcClientsModule.register(['audit'])],
      providers: [
        {
          provide: AuditOutboxRelay,
          inject: [DataSource, grpcClientToken('audit')],
          useFactory: (dataSource: DataSource, client: ClientGrpc): AuditOutboxRelay => {
            const audit = client.getService<auditV1.AuditServiceClient>(SERVICE_CONTRACTS.audit.serviceName);
            const metadata = identityToMetadata(systemIdentity(service));
            return new AuditOutboxRelay(dataSource, service, async (events) => {
              await lastValueFrom(audit.record({ events }, metadata));
            });
          },
        },
        {
          provide: AuditRecorder,
          inject: [AuditOutboxRelay, { token: FLOTILLA_CONFIG, optional: true }],
          useFactory: (relay: AuditOutboxRelay, config?: Pick<FlotillaConfig, 'nodeName'>): AuditRecorder =>
            new AuditRecorder(service, () => relay.nudge(), config?.nodeName),
        },
        RelayLifecycle,
      ],
      exports: [AuditRecorder, AuditOutboxRelay],
    };
  }
}
