import { DynamicModule, Module } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

/**
 * Provides an already-loaded FlotillaConfig under the shared token, so tests can start the gateway
 * with their own ports instead of the process environment.
 */
@Module({})
export class GatewayConfigModule {
  static forValue(config: FlotillaConfig): DynamicModule {
    return {
      module: GatewayConfigModule,
      global: true,
      providers: [{ provide: FLOTILLA_CONFIG, useValue: config }],
      exports: [FLOTILLA_CONFIG],
    };
  }
}
