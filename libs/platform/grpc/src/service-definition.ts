import { join } from 'node:path';

import { GrpcObject, loadPackageDefinition, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

import { FlotillaService, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';

import { PROTO_LOADER_OPTIONS } from './grpc-options';

/** A service's grpc-js client constructor (its `.service` is what a raw grpc-js Server adds). */
export function loadServiceDefinition(service: FlotillaService): ServiceClientConstructor {
  const contract = SERVICE_CONTRACTS[service];
  const definition = loadSync(join(PROTO_ROOT, contract.protoFile), PROTO_LOADER_OPTIONS);
  let node: GrpcObject | ServiceClientConstructor = loadPackageDefinition(definition);
  for (const part of [...contract.packageName.split('.'), contract.serviceName]) {
    node = node[part] as GrpcObject;
  }
  return node as unknown as ServiceClientConstructor;
}
