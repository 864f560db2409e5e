import { Logger, Provider } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { EffectiveLicence, effectiveNodeLimit } from '@flotilla/platform/licence';

import { NODE_LICENCE } from './node-standing';

/** Says which licence is in force and what it allows, where an operator cannot miss it. */
export function announceLicence(licence: EffectiveLicence, logger = new Logger('Licence')): void {
  const rule = '='.repeat(72);
  if (licence.problem) {
    logger.error(rule);
    logger.error(licence.message);
    logger.error(rule);
  } else if (!licence.licence) {
    logger.warn(rule);
    logger.warn(`${licence.message} (set FLOTILLA_LICENCE or FLOTILLA_LICENCE_FILE to run more)`);
    logger.warn(rule);
  } else {
    logger.log(licence.message);
  }
}

/**
 * The licence in force, read once at start-up from FLOTILLA_LICENCE / FLOTILLA_LICENCE_FILE and
 * verified against the key this build trusts, or against `publicKeyPem` when code (a test entry
 * point, never configuration) passes one.
 */
export function nodeLicenceProvider(publicKeyPem?: string): Provider {
  return {
    provide: NODE_LICENCE,
    inject: [FLOTILLA_CONFIG],
    useFactory: (config: FlotillaConfig): EffectiveLicence => {
      const licence = effectiveNodeLimit(config, publicKeyPem ? { publicKeyPem } : {});
      announceLicence(licence);
      return licence;
    },
  };
}
