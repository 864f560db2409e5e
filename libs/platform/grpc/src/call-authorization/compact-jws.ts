import { KeyObject, sign, verify } from 'node:crypto';

/**
 * The one JWS shape caller tokens use: compact serialization, EdDSA over Ed25519, signed and
 * verified with node:crypto's one-shot sign/verify on KeyObjects read once. Written for this shape
 * only, because a general JOSE library costs a CPU-bound REST request far more than the signature
 * itself (profiled: jose's SignJWT and jwtVerify were about 20 % of the orchestrator's and 9 % of
 * the gateway's CPU per request, most of it around the crypto, not in it). The verifier applies the
 * same checks jose's jwtVerify applied (caller-token-verifier.ts); caller-token.spec.ts checks
 * tokens both ways against jose itself.
 */

/** A JOSE header or JWT claims set: a JSON object, nothing else (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Why a compact JWS was refused, before its claims are looked at. */
export type JwsFailure = 'malformed' | 'signature';

export class JwsRejected extends Error {
  constructor(
    readonly failure: JwsFailure,
    message: string,
  ) {
    super(message);
  }
}

/** base64url without padding, as JWS requires; anything else (padding, '+', '/', spaces) is refused. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

const encodeJson = (value: JsonObject): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function decodeJsonObject(part: string, what: string): JsonObject {
  if (!BASE64URL.test(part)) throw new JwsRejected('malformed', `${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsRejected('malformed', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JwsRejected('malformed', `${what} is not a JSON object`);
  return value as JsonObject;
}

/** Signs `payload` under `header` (whose alg must be EdDSA) with an Ed25519 private key. */
export function signCompactJws(encodedHeader: string, payload: JsonObject, privateKey: KeyObject): string {
  const signingInput = `${encodedHeader}.${encodeJson(payload)}`;
  const signature = sign(null, Buffer.from(signingInput), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** The encoded protected header, computed once per key: it is the same for every token. */
export function encodeJwsHeader(header: JsonObject): string {
  return encodeJson(header);
}

/** A compact JWS split and its header decoded; the signature is not checked yet. */
export interface ParsedCompactJws {
  header: JsonObject;
  /** Verifies the signature with `publicKey` and returns the decoded payload object. */
  verifiedPayload(publicKey: KeyObject): JsonObject;
}

/**
 * Splits a compact JWS and decodes its protected header. The caller checks the header (alg, typ,
 * kid, crit) and picks the key before anything else is decoded, as a JOSE library would.
 */
export function parseCompactJws(token: string): ParsedCompactJws {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsRejected('malformed', 'not a compact JWS (three parts)');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = decodeJsonObject(encodedHeader, 'the protected header');
  return {
    header,
    verifiedPayload(publicKey: KeyObject): JsonObject {
      if (!BASE64URL.test(encodedSignature))
        throw new JwsRejected('malformed', 'the signature is not base64url');
      const signature = Buffer.from(encodedSignature, 'base64url');
      const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`);
      let valid = false;
      try {
        valid = verify(null, signingInput, publicKey, signature);
      } catch {
        valid = false;
      }
      if (!valid) throw new JwsRejected('signature', 'the signature is not valid');
      return decodeJsonObject(encodedPayload, 'the claims set');
    },
  };
}
