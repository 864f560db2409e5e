import type { OpenLdap } from './openldap';

/**
 * The FLOTILLA_DIRECTORY_* settings of a Flotilla process that signs in to `ldap` (generic LDAP)
 * with StartTLS, verified against the test CA and host name; `extra` adds or overrides.
 */
export function openLdapDirectoryEnvironment(
  ldap: OpenLdap,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    FLOTILLA_DIRECTORY_KIND: 'ldap',
    FLOTILLA_DIRECTORY_URLS: ldap.ldapUrl,
    FLOTILLA_DIRECTORY_STARTTLS: 'true',
    FLOTILLA_DIRECTORY_CA_FILE: ldap.caFile,
    FLOTILLA_DIRECTORY_TLS_SERVER_NAME: ldap.hostName,
    FLOTILLA_DIRECTORY_BIND_DN: ldap.bindDn,
    FLOTILLA_DIRECTORY_BIND_PASSWORD: ldap.bindPassword,
    FLOTILLA_DIRECTORY_BASE_DN: ldap.baseDn,
    FLOTILLA_DIRECTORY_GROUP_BASE_DN: ldap.groupsBaseDn,
    ...extra,
  };
}
