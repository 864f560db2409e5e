import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the batch's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'X-Flotilla-Signature';
/** The chain numbers of the batch's first and last events: `<first>-<last>`. */
export const SEQUENCE_HEADER = 'X-Flotilla-Sequence';
/** The ids of the batch's first and last events: `<first id>,<last id>`. */
export const EVENT_IDS_HEADER = 'X-Flotilla-Event-Ids';

/**
 * The signed text is `<t>.<body>`: the timestamp is signed with the body, so a captured request
 * replayed later carries a stale `t` that a receiver refuses (5 minutes is the advised tolerance),
 * and a changed `t` breaks the signature.
 */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * A receiver's check (also the README's example): the header parses, `t` is within
 * `toleranceSeconds` of `nowSeconds`, and the MAC matches in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}
