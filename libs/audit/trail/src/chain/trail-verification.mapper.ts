import type { auditV1 } from '@flotilla/contracts';

import type { AuditChainVerification } from './verify-audit-chain';

/** The verification on the wire: proto3 has no optional message here, so absent reads as 0 / ''. */
export function toTrailVerification(result: AuditChainVerification): auditV1.TrailVerification {
  const found = result.firstBreak;
  return {
    intact: result.intact,
    verifiedEvents: result.verifiedEvents,
    headSequence: result.headSequence,
    beganAt: result.beganAt.toISOString(),
    breakKind: found?.kind ?? '',
    breakSequence: found && 'sequence' in found ? found.sequence : 0,
    breakEventId: found?.kind === 'edited' ? found.eventId : '',
    breakMessage: found?.message ?? '',
    checkpointSequence: result.checkpoint?.sequence ?? 0,
    checkpointSignedAt: result.checkpoint?.signedAt.toISOString() ?? '',
    checkpointNode: result.checkpoint?.nodeName ?? '',
    archivedThroughSequence: result.archivedThrough?.sequence ?? 0,
    archivedThroughDay: result.archivedThrough?.day ?? '',
    archives: result.archivedThrough?.archives ?? 0,
  };
}
