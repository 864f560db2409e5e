import { DynamicModule, Module } from '@nestjs/common';
import { ClientGrpc, ClientProxyFactory } from '@nestjs/microservices';

import type { FlotillaService } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { grpcClientOptions } from './grpc-options';
import { processIdentity, serviceCertificate } from './service-certificates';

/** Injection token of the ClientGrpc for one service, e.g. `@Inject(grpcClientToken('auth'))`. */
export function grpcClientToken(service: FlotillaService): string {
  return `FLOTILLA_GRPC_CLIENT_${service.toUpperCase()}`;
}

/**
 * Registers ClientGrpc instances for the services a process calls, at their configured URLs, each
 * presenting the process's own certificate (its declared identity on its node).
 */
@Module({})
export class GrpcClientsModule {
  static register(services: readonly FlotillaService[]): DynamicModule {
    const providers = services.map((service) => ({
      provide: grpcClientToken(service),
      inject: [FLOTILLA_CONFIG],
      useFactory: (config: FlotillaConfig): ClientGrpc =>
        ClientProxyFactory.create(
          grpcClientOptions(
            service,
            config.grpc[service],
            undefined,
            serviceCertificate(processIdentity(), { node: config.nodeName }),
          ),
        ) as unknown as ClientGrpc,
    }));
    return { module: GrpcClientsModule, providers, exports: providers.map((provider) => provider.provide) };
  }
}
