/** The Nest token of the StreamSecrets (sealing webhook secrets). */
export const AUDIT_STREAM_SECRETS = Symbol('AUDIT_STREAM_SECRETS');
