export { startSambaAd, SambaAd, SambaAdOptions } from './samba-ad';
export { sambaDirectoryEnvironment } from './samba-ad-environment';
export { SAMBA_AD_DOMAIN, BULK, SeededGroup, SeededUser, SambaAdSeed } from './samba-ad-seed';
export { NESTED } from './samba-ad-nested-seed';
/** Samba's administrator password, for specs that change accounts in the directory (the directory sync's). */
export { ADMINISTRATOR_PASSWORD as SAMBA_AD_ADMINISTRATOR_PASSWORD } from './samba-ad-template';
