import { Global, Module } from '@nestjs/common';

import { FlotillaConfig, loadFlotillaConfig } from './flotilla-config';

/** Injection token for the validated FlotillaConfig. */
export const FLOTILLA_CONFIG = Symbol('FLOTILLA_CONFIG');

@Global()
@Module({
  providers: [{ provide: FLOTILLA_CONFIG, useFactory: (): FlotillaConfig => loadFlotillaConfig() }],
  exports: [FLOTILLA_CONFIG],
})
export class FlotillaConfigModule {}
