import type { FlotillaConfig } from '@flotilla/platform/config';

import { Licence, NodeLimit, parseAndVerifyLicence } from './licence';
import { LicenceError } from './licence-error';

/** What the cluster may run, and how to tell operators. */
export interface EffectiveLicence {
  nodeLimit: NodeLimit;
  /** The licence in force; undefined when none was given or it could not be used. */
  licence: Licence | undefined;
  /** Why a given licence is not in force (bad signature, expired, malformed); undefined otherwise. */
  problem: string | undefined;
  /** One line for the start-up log. */
  message: string;
  /** Names the licence in node status messages: "licence for Acme Ltd" or "no licence". */
  label: string;
}

export const NO_LICENCE_MESSAGE = 'No licence: this cluster runs tasks on one node';

export interface EffectiveNodeLimitOptions {
  /** The key to verify against; the key this build trusts unless a caller (a test) passes another. */
  publicKeyPem?: string;
  /** Today, for the expiry check (a start-up decision, so the process clock is fine here). */
  now?: Date;
}

function unlicensed(problem: string | undefined): EffectiveLicence {
  return {
    nodeLimit: 1,
    licence: undefined,
    problem,
    message: problem ? `LICENCE REJECTED: ${problem}. ${NO_LICENCE_MESSAGE}` : NO_LICENCE_MESSAGE,
    label: 'no licence',
  };
}

/**
 * The node limit in force: the licence's, or 1 when there is none. A licence that cannot be used
 * (tampered, wrong key, expired, malformed) counts as no licence, and `problem` says why.
 */
export function effectiveNodeLimit(
  config: Pick<FlotillaConfig, 'licenceXml'>,
  options: EffectiveNodeLimitOptions = {},
): EffectiveLicence {
  const xml = config.licenceXml?.trim();
  if (!xml) return unlicensed(undefined);
  let licence: Licence;
  try {
    licence = options.publicKeyPem
      ? parseAndVerifyLicence(xml, options.publicKeyPem)
      : parseAndVerifyLicence(xml);
  } catch (error) {
    if (error instanceof LicenceError) return unlicensed(error.message);
    throw error;
  }
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  if (licence.expires && licence.expires < today)
    return unlicensed(`the licence for ${licence.licensee} expired on ${licence.expires}`);
  const expiry = licence.expires ? `, valid until ${licence.expires}` : '';
  return {
    nodeLimit: licence.nodeLimit,
    licence,
    problem: undefined,
    message: `Licensed to ${licence.licensee}: node limit ${licence.nodeLimit}${expiry}`,
    label: `licence for ${licence.licensee}`,
  };
}
