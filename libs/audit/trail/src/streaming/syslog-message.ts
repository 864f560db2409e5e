import type { StreamedEvent } from './streamed-event';

/** RFC 5424 facilities a destination may use (the local ones are meant for applications like this). */
export const SYSLOG_FACILITIES = {
  user: 1,
  auth: 4,
  authpriv: 10,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/** Severity 5 (notice): a normal but significant condition, what an audit record is. */
const SEVERITY_NOTICE = 5;
/** The private enterprise number 32473 is IANA's documentation example; SD-IDs with '@' are ours to name. */
export const SYSLOG_SD_ID = 'flotilla@32473';
const APP_NAME = 'flotilla';

/** RFC 5424 §6.3.3: inside a PARAM-VALUE, '"', '\' and ']' are escaped with a backslash. */
export function escapeSdParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (character) => `\\${character}`);
}

/**
 * HOSTNAME, APP-NAME and MSGID are PRINTUSASCII without spaces, bounded (255 / 48 / 32); anything
 * else becomes '_' and '' becomes the NILVALUE '-'.
 */
function headerField(value: string, maxLength: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, maxLength);
  return printable === '' ? '-' : printable;
}

/**
 * One RFC 5424 message for one event: `<PRI>1 TIMESTAMP HOSTNAME flotilla - MSGID [SD] MSG`, with
 * the event's time (UTC, milliseconds), the node's name, the action as MSGID, its id, sequence,
 * actor, resource and client IP as structured data, and the event's JSON as MSG (UTF-8, with BOM
 * as §6.4 asks for UTF-8 text).
 */
export function syslogMessage(event: StreamedEvent, hostname: string, facility: SyslogFacility): string {
  const pri = SYSLOG_FACILITIES[facility] * 8 + SEVERITY_NOTICE;
  const params: [string, string][] = [
    ['id', event.id],
    ['sequence', String(event.sequence)],
    ['actorId', event.actor.id],
    ['actorName', event.actor.name],
    ['resourceType', event.resource.type],
    ['resourceId', event.resource.id],
    ['clientIp', event.clientIp],
  ];
  const sd = `[${SYSLOG_SD_ID} ${params.map(([name, value]) => `${name}="${escapeSdParamValue(value)}"`).join(' ')}]`;
  return (
    `<${pri}>1 ${event.occurredAt} ${headerField(hostname, 255)} ${APP_NAME} - ` +
    `${headerField(event.action, 32)} ${sd} \ufeff${JSON.stringify(event)}`
  );
}

/** RFC 6587 §3.4.1 octet counting: `<byte length> <message>`, so a message may hold newlines. */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
