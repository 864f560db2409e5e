import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ClientGrpc } from '@nestjs/microservices';
import { lastValueFrom, Observable } from 'rxjs';

import {
  artifactsV1,
  auditV1,
  authV1,
  executorV1,
  orchestratorV1,
  SERVICE_CONTRACTS,
} from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { grpcClientToken } from '@flotilla/platform/grpc';

import { enableGatewayCallerTokens } from './caller-token-signing';
import { dedicatedArtifactClient } from './dedicated-artifact-client';
import type { RawArtifactClient } from './raw-artifact-client';

/** The gRPC services behind the gateway, as typed clients. */
@Injectable()
export class BackendClients implements OnModuleInit {
  auth!: authV1.AuthServiceClient;
  orchestrator!: orchestratorV1.OrchestratorServiceClient;
  executor!: executorV1.ExecutorServiceClient;
  artifacts!: artifactsV1.ArtifactServiceClient;
  audit!: auditV1.AuditServiceClient;

  constructor(
    @Inject(grpcClientToken('auth')) private readonly authGrpc: ClientGrpc,
    @Inject(grpcClientToken('orchestrator')) private readonly orchestratorGrpc: ClientGrpc,
    @Inject(grpcClientToken('executor')) private readonly executorGrpc: ClientGrpc,
    @Inject(grpcClientToken('artifacts')) private readonly artifactsGrpc: ClientGrpc,
    @Inject(grpcClientToken('audit')) private readonly auditGrpc: ClientGrpc,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'grpc'>,
  ) {}

  onModuleInit(): void {
    // Before the first call: every call made for a user carries a token signed here.
    enableGatewayCallerTokens();
    this.auth = this.authGrpc.getService(SERVICE_CONTRACTS.auth.serviceName);
    this.orchestrator = this.orchestratorGrpc.getService(SERVICE_CONTRACTS.orchestrator.serviceName);
    this.executor = this.executorGrpc.getService(SERVICE_CONTRACTS.executor.serviceName);
    this.artifacts = this.artifactsGrpc.getService(SERVICE_CONTRACTS.artifacts.serviceName);
    this.audit = this.auditGrpc.getService(SERVICE_CONTRACTS.audit.serviceName);
  }

  /**
   * A grpc-js client for package transfers (streams that need real backpressure), each transfer on
   * a connection of its own (see dedicatedArtifactClient).
   */
  rawArtifacts(): RawArtifactClient {
    return dedicatedArtifactClient(this.config.grpc.artifacts);
  }
}

/** Awaits a unary gRPC call made through Nest's Observable client. */
export function unary<T>(call: Observable<T>): Promise<T> {
  return lastValueFrom(call);
}
