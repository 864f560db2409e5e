import { Logger, Provider } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { EffectiveLicence, effectiveNodeLimit } from '@flotilla/platform/licence';

import { LicenceSource, NODE_LICENCE, NodeLicence } from './node-standing';

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
 * The licence read at start-up, judged again on each new UTC day: a licence that expires while
 * the cluster runs stops counting at midnight, as it would at the next restart, instead of
 * lasting until someone restarts the orchestrators. Each change is announced like the first.
 */
export class DailyLicence implements LicenceSource {
  private judged: EffectiveLicence;
  private judgedOn: string;

  constructor(
    private readonly judge: (now: Date) => EffectiveLicence,
    private readonly now: () => Date = () => new Date(),
    private readonly announce: (licence: EffectiveLicence) => void = announceLicence,
  ) {
    const today = this.now();
    this.judged = judge(today);
    this.judgedOn = utcDay(today);
    announce(this.judged);
  }

  current(): NodeLicence {
    const now = this.now();
    if (utcDay(now) !== this.judgedOn) {
      const previous = this.judged;
      this.judged = this.judge(now);
      this.judgedOn = utcDay(now);
      if (this.judged.message !== previous.message) this.announce(this.judged);
    }
    return this.judged;
  }
}

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The licence in force, read at start-up from FLOTILLA_LICENCE / FLOTILLA_LICENCE_FILE and
 * verified against the key this build trusts, or against `publicKeyPem` when code (a test entry
 * point, never configuration) passes one.
 */
export function nodeLicenceProvider(publicKeyPem?: string): Provider {
  return {
    provide: NODE_LICENCE,
    inject: [FLOTILLA_CONFIG],
    useFactory: (config: FlotillaConfig): LicenceSource =>
      new DailyLicence((now) =>
        effectiveNodeLimit(config, { now, ...(publicKeyPem ? { publicKeyPem } : {}) }),
      ),
  };
}
