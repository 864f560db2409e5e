import { canonicalPeerAddress } from './caller-identity-origin';

/**
 * How a caller proved who they are, as the audit trail records it: a local password, the
 * configured directory (AD / LDAP), an API key, or `service` for a process acting on its own.
 * Sessions carry the method of the sign-in that opened them (the account's source).
 */
export const SIGN_IN_METHODS = ['password', 'directory', 'api-key', 'service'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

/** Column size of `sign_in_method` (outboxes and trail); above the longest name. */
export const SIGN_IN_METHOD_COLUMN_LENGTH = 20;
/** Column size of `api_key_id`: API key ids are UUIDs (36); room for another id format. */
export const API_KEY_ID_COLUMN_LENGTH = 64;

const API_KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The method if it is one of SIGN_IN_METHODS, else undefined (never stored as free text). */
export function validSignInMethod(value: string | undefined): SignInMethod | undefined {
  return (SIGN_IN_METHODS as readonly string[]).includes(value ?? '') ? (value as SignInMethod) : undefined;
}

/** The API key id if it is a plain token a column can hold as-is, else undefined. */
export function validApiKeyId(value: string | undefined): string | undefined {
  return value && API_KEY_ID.test(value) ? value : undefined;
}

/**
 * Who signed in how, and the TCP peer the gateway saw (usually the proxy), beside the resolved
 * client IP. Set by the gateway, carried in the signed caller token; each field absent when unknown.
 */
export interface CallerProvenance {
  signInMethod?: SignInMethod;
  /** The id (never the secret) of the API key the request was authenticated with. */
  apiKeyId?: string;
  /** The socket peer's address in canonical form. */
  socketPeer?: string;
}

/** The provenance with every field validated; a field that does not pass is dropped, never refused. */
export function shapedProvenance(raw: {
  signInMethod?: string;
  apiKeyId?: string;
  socketPeer?: string;
}): CallerProvenance {
  const signInMethod = validSignInMethod(raw.signInMethod);
  const apiKeyId = validApiKeyId(raw.apiKeyId);
  const socketPeer = canonicalPeerAddress(raw.socketPeer);
  return {
    ...(signInMethod ? { signInMethod } : {}),
    ...(apiKeyId ? { apiKeyId } : {}),
    ...(socketPeer ? { socketPeer } : {}),
  };
}
