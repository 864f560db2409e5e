/**
 * The master key is missing, malformed or not the one this database's secrets were sealed with.
 * Its message names what to do; services stop at start-up with it rather than at the first
 * deployment that needs a secret.
 */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}
