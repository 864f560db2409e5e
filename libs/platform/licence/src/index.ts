export * from './effective-node-limit';
export * from './licence';
export { LicenceError } from './licence-error';
export { TRUSTED_LICENCE_PUBLIC_KEY_PEM } from './trusted-licence-key';
export { generateTestLicenceKeys } from './testing/test-licence-keys';
