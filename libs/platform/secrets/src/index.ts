export { MasterKeyError } from './master-key-error';
export {
  formatMasterKey,
  generateMasterKey,
  MASTER_KEY_BYTES,
  masterKeyId,
  parseMasterKey,
} from './master-key';
export type { MasterKey } from './master-key';
export { MasterKeyring } from './master-keyring';
export type { MasterKeySource } from './master-keyring';
export {
  ensureMasterKeyFile,
  hasMasterKeyConfigured,
  loadMasterKeyring,
  MASTER_KEY_ENV,
  MASTER_KEY_FILE_ENV,
  masterKeyOnlyForOrchestrator,
  readMasterKeyFile,
  writeMasterKeyFile,
} from './master-key-source';
export { ENVELOPE_PREFIX, isSealedValue } from './secret-envelope';
