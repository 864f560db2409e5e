import { OPENLDAP_BASE_DN, OPENLDAP_SIZE_LIMIT, serviceAccounts } from './openldap-seed';
import type { OpenLdapTlsFiles } from './openldap-tls';

/** Debian's slapd: schemas and loadable back ends. */
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';

/** The rootdn: specs change the directory as it (a rename); never what Flotilla binds as. */
export const OPENLDAP_ADMIN = { dn: `cn=admin,${OPENLDAP_BASE_DN}`, password: 'Admin-Password-1!' };

const quoted = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * slapd.conf for one test server: schemas core, cosine, inetorgperson and nis; one mdb database
 * in `dataDir`; TLS (StartTLS on the ldap:// port, and ldaps://) with the test certificate.
 *
 * Limits: searches that are not paged stop at OPENLDAP_SIZE_LIMIT (sizeLimitExceeded), paged ones
 * may go on past it (size.prtotal=unlimited, how an administrator lets a sync read a big
 * directory) except for the `limited` account, whose paged total is capped too: a client must
 * fail there, never return the first 500 as if they were all.
 *
 * refint keeps `member` values pointing at renamed entries.
 *
 * Access: the search accounts read everything but passwords; a user reads its own entry;
 * anonymous may only bind. No anonymous reads, as a production directory would have it.
 */
export function slapdConfig(dir: string, dataDir: string, tls: OpenLdapTlsFiles): string {
  const { service, limited } = serviceAccounts();
  return [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((schema) => `include ${SCHEMA_DIR}/${schema}.schema`),
    `modulepath ${MODULE_DIR}`,
    'moduleload back_mdb',
    'moduleload refint',
    `pidfile ${dir}/slapd.pid`,
    `argsfile ${dir}/slapd.args`,
    `TLSCACertificateFile ${tls.caFile}`,
    `TLSCertificateFile ${tls.certFile}`,
    `TLSCertificateKeyFile ${tls.keyFile}`,
    'disallow bind_anon',
    '',
    'database mdb',
    `suffix ${quoted(OPENLDAP_BASE_DN)}`,
    `rootdn ${quoted(OPENLDAP_ADMIN.dn)}`,
    `rootpw ${OPENLDAP_ADMIN.password}`,
    `directory ${dataDir}`,
    'maxsize 268435456',
    'index objectClass eq',
    'index uid,mail,cn eq',
    'index member eq',
    'index entryUUID eq',
    `sizelimit size.soft=${OPENLDAP_SIZE_LIMIT} size.hard=${OPENLDAP_SIZE_LIMIT} size.prtotal=unlimited`,
    `limits dn.exact=${quoted(limited.dn)} size.soft=${OPENLDAP_SIZE_LIMIT} size.hard=${OPENLDAP_SIZE_LIMIT} size.prtotal=${OPENLDAP_SIZE_LIMIT}`,
    // Referential integrity: a rename (modrdn) rewrites the member values naming the entry, as a
    // production OpenLDAP should be set up, so a renamed user keeps its groups.
    'overlay refint',
    'refint_attributes member',
    'access to attrs=userPassword by anonymous auth by * none',
    `access to * by dn.exact=${quoted(service.dn)} read by dn.exact=${quoted(limited.dn)} read by self read by * none`,
    '',
  ].join('\n');
}
