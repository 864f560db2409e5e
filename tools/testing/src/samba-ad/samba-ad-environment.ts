import type { SambaAd } from './samba-ad';

/**
 * The FLOTILLA_DIRECTORY_* settings of a Flotilla process that signs in to `ad` over LDAPS,
 * verified against the DC's CA and host name; `extra` adds or overrides (the sync interval...).
 */
export function sambaDirectoryEnvironment(
  ad: SambaAd,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    FLOTILLA_DIRECTORY_KIND: 'ad',
    FLOTILLA_DIRECTORY_URLS: ad.ldapsUrl,
    FLOTILLA_DIRECTORY_CA_FILE: ad.caFile,
    FLOTILLA_DIRECTORY_TLS_SERVER_NAME: ad.hostName,
    FLOTILLA_DIRECTORY_BIND_DN: ad.bindDn,
    FLOTILLA_DIRECTORY_BIND_PASSWORD: ad.bindPassword,
    FLOTILLA_DIRECTORY_BASE_DN: ad.baseDn,
    FLOTILLA_DIRECTORY_NETBIOS_DOMAIN: ad.netbiosDomain,
    ...extra,
  };
}
