import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

import { escapeXmlText, readLicenceDocument, signedBytes } from './licence-document';
import { LicenceError } from './licence-error';
import { TRUSTED_LICENCE_PUBLIC_KEY_PEM } from './trusted-licence-key';

export type NodeLimit = number | 'Unlimited';

export interface Licence {
  licensee: string;
  nodeLimit: NodeLimit;
  /** Last day of validity, `YYYY-MM-DD` (UTC); absent: never expires. */
  expires?: string;
}

/** Far beyond any real cluster; keeps a typo such as 1e9 from reading as a real limit. */
export const MAX_NODE_LIMIT = 10_000;
const ED25519_SIGNATURE_BYTES = 64;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function ed25519Key(pem: string, kind: 'public' | 'private'): KeyObject {
  let key: KeyObject;
  try {
    key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
  } catch (error) {
    throw new LicenceError(
      `the ${kind} licence key is not a PEM key: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new LicenceError(`the ${kind} licence key is not Ed25519`);
  return key;
}

export function parseNodeLimit(raw: string): NodeLimit {
  const text = raw.trim();
  if (text === 'Unlimited') return 'Unlimited';
  if (!/^\d+$/.test(text))
    throw new LicenceError(`<NodeLimit> must be a whole number or Unlimited (got "${raw}")`);
  const limit = Number(text);
  if (limit < 1 || limit > MAX_NODE_LIMIT)
    throw new LicenceError(`<NodeLimit> must be from 1 to ${MAX_NODE_LIMIT} or Unlimited (got ${text})`);
  return limit;
}

function parseExpires(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const date = new Date(`${text}T00:00:00Z`);
  if (!DATE.test(text) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text)
    throw new LicenceError(`<Expires> must be a date YYYY-MM-DD (got "${raw}")`);
  return text;
}

/**
 * Reads a licence and checks its Ed25519 signature against the trusted key (the key this build
 * ships, unless the caller passes another explicitly). Throws {@link LicenceError} saying what is
 * wrong; values are only interpreted once the signature holds.
 */
export function parseAndVerifyLicence(xml: string, publicKeyPem = TRUSTED_LICENCE_PUBLIC_KEY_PEM): Licence {
  const key = ed25519Key(publicKeyPem, 'public');
  const document = readLicenceDocument(xml);
  const signatureText = (document.elements.get('Signature') ?? '').trim();
  const signature = Buffer.from(signatureText, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureText) || signature.length !== ED25519_SIGNATURE_BYTES)
    throw new LicenceError('licence <Signature> is not a base64 Ed25519 signature');
  if (!verify(null, document.signedBytes, key, signature))
    throw new LicenceError(
      'licence signature does not match: the licence was changed after signing, or signed by a key this build does not trust',
    );
  const licensee = document.elements.get('Licensee')?.trim();
  if (!licensee) throw new LicenceError('licence has no <Licensee>');
  const nodeLimitText = document.elements.get('NodeLimit');
  if (nodeLimitText === undefined) throw new LicenceError('licence has no <NodeLimit>');
  const expires = parseExpires(document.elements.get('Expires'));
  return { licensee, nodeLimit: parseNodeLimit(nodeLimitText), ...(expires ? { expires } : {}) };
}

/** Writes and signs a licence (the signing tool and tests use this; the private key stays with them). */
export function signLicence(licence: Licence, privateKeyPem: string): string {
  const key = ed25519Key(privateKeyPem, 'private');
  const licensee = licence.licensee.trim();
  if (!licensee) throw new LicenceError('licensee is required');
  const nodeLimit = parseNodeLimit(String(licence.nodeLimit));
  const expires = parseExpires(licence.expires);
  const lines = [
    '<License>',
    `  <Licensee>${escapeXmlText(licensee)}</Licensee>`,
    `  <NodeLimit>${nodeLimit}</NodeLimit>`,
    ...(expires ? [`  <Expires>${expires}</Expires>`] : []),
    '  <Signature></Signature>',
    '</License>',
  ];
  const unsigned = lines.join('\n');
  const signature = sign(null, signedBytes(unsigned), key).toString('base64');
  return unsigned.replace('<Signature></Signature>', `<Signature>${signature}</Signature>`);
}
