export { startOpenLdap, OpenLdap } from './openldap';
export { openLdapDirectoryEnvironment } from './openldap-environment';
export {
  DEEP_CHAIN_LENGTH,
  GROUP_DEPTH_UNDER_TEST,
  Keyed,
  OPENLDAP_BULK,
  OPENLDAP_SIZE_LIMIT,
  OpenLdapGroup,
  OpenLdapUser,
} from './openldap-seed';
