import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

import type { auditV1 } from '@flotilla/contracts';
import { RpcErrors } from '@flotilla/platform/grpc';

import type { AuditStreamKind, AuditStreamRow } from './audit-stream.repository';
import { SYSLOG_FACILITIES } from './syslog-message';

/** A webhook secret shorter than this is refused: it keys the HMAC a receiver trusts. */
export const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 512;
const MAX_NAME_LENGTH = 100;
const MAX_TARGET_LENGTH = 2048;
const MAX_CA_LENGTH = 64 * 1024;

/** What an administrator asked for, checked; the secret (when given) still in clear, to be sealed. */
export interface AuditStreamSettingsInput {
  name: string;
  kind: AuditStreamKind;
  enabled: boolean;
  target: string;
  caPem: string | null;
  facility: string;
  /** undefined: keep the stored one (update) */
  secret?: string;
}

const refuse = (message: string) => RpcErrors.invalidArgument(message);

function webhookTarget(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse(`target: "${text}" is not a URL (expected https://host[:port]/path)`);
  }
  if (url.protocol !== 'https:') {
    throw refuse(
      'target: a webhook URL must be https: the events name who did what from which address, and over ' +
        'plain http anyone on the path could read them (the HMAC signature proves the sender, it hides nothing)',
    );
  }
  if (url.username || url.password)
    throw refuse('target: put no credentials in the URL; the HMAC secret authenticates us');
  return url.toString();
}

function syslogTarget(text: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw refuse(
      `target: a syslog destination is host:port (TLS, e.g. siem.example.com:6514); got "${text}"`,
    );
  }
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  if (match[1].startsWith('[') && isIP(host) !== 6)
    throw refuse(`target: "${match[1]}" is not an IPv6 address`);
  return text;
}

function caPemOf(text: string): string | null {
  const pem = text.trim();
  if (pem === '') return null;
  if (pem.length > MAX_CA_LENGTH) throw refuse(`caPem: at most ${MAX_CA_LENGTH} characters`);
  try {
    new X509Certificate(pem);
  } catch {
    throw refuse('caPem: not a PEM certificate (-----BEGIN CERTIFICATE----- …)');
  }
  return `${pem}\n`;
}

/** Checks a create or update request; `creating` makes the webhook secret required. */
export function parseStreamRequest(
  request: auditV1.SaveAuditStreamRequest,
  creating: boolean,
): AuditStreamSettingsInput {
  const name = request.name.trim();
  if (name === '' || name.length > MAX_NAME_LENGTH) throw refuse(`name: 1 to ${MAX_NAME_LENGTH} characters`);
  if (request.kind !== 'webhook' && request.kind !== 'syslog') {
    throw refuse(`kind: "webhook" or "syslog" (got "${request.kind}")`);
  }
  const target = request.target.trim();
  if (target.length > MAX_TARGET_LENGTH) throw refuse(`target: at most ${MAX_TARGET_LENGTH} characters`);
  const caPem = caPemOf(request.caPem);
  if (request.kind === 'webhook') {
    const secret = request.secret === '' ? undefined : request.secret;
    if (secret === undefined && creating)
      throw refuse('secret: a webhook needs an HMAC secret (at least 16 characters)');
    if (secret !== undefined && (secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH)) {
      throw refuse(`secret: ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters`);
    }
    if (request.facility !== '') throw refuse('facility: only for syslog');
    return {
      name,
      kind: 'webhook',
      enabled: request.enabled,
      target: webhookTarget(target),
      caPem,
      facility: '',
      secret,
    };
  }
  if (request.secret !== '') throw refuse('secret: syslog has none (its TLS server certificate is checked)');
  const facility = request.facility === '' ? 'local0' : request.facility;
  if (!(facility in SYSLOG_FACILITIES)) {
    throw refuse(`facility: one of ${Object.keys(SYSLOG_FACILITIES).join(', ')} (got "${facility}")`);
  }
  return {
    name,
    kind: 'syslog',
    enabled: request.enabled,
    target: syslogTarget(target),
    caPem,
    facility,
  };
}

/**
 * A destination as the trail records it in old/new values: the CA by its SHA-256 fingerprint (the
 * PEM is long and public), the secret never (`secretChange` says "set" or "changed" instead).
 */
export function recordedSettings(row: AuditStreamRow): Record<string, unknown> {
  return {
    name: row.name,
    kind: row.kind,
    enabled: row.enabled,
    target: row.target,
    ...(row.kind === 'syslog' ? { facility: row.facility } : {}),
    ca: row.caPem ? `sha256:${createHash('sha256').update(row.caPem).digest('hex')}` : 'system',
  };
}
