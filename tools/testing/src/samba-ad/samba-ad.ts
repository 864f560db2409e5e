import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { fileTime } from './ldif';
import { claimLoopbackAddress, LoopbackAddress } from './loopback-address';
import {
  basicGroups,
  basicUsers,
  bulkBigGroupRecord,
  bulkGroups,
  bulkManyGroupsUser,
  bulkUsers,
  GROUPS_OU,
  lockedUserKey,
  SAMBA_AD_DOMAIN,
  SambaAdSeed,
  SeededGroup,
  SeededUser,
} from './samba-ad-seed';
import { NESTED_GROUPS_OU, nestedGroups, nestedUser } from './samba-ad-nested-seed';
import { ldbModify, run, sambaAdTemplate } from './samba-ad-template';
import { makeOwnedTempFolder, removeAbandonedTempFolders } from '../owned-temp-folders';
import { ServerProcessGroup } from '../server-process-group';

export interface SambaAdOptions {
  /**
   * 'basic' (default): the accounts and groups of samba-ad-seed.ts; 'bulk': those plus BULK;
   * 'nested300': those plus NESTED (samba-ad-nested-seed.ts).
   */
  seed?: SambaAdSeed;
}

export interface SambaAd {
  /** ldap://127.x.y.z:389 (StartTLS available). */
  ldapUrl: string;
  /** ldaps://127.x.y.z:636 */
  ldapsUrl: string;
  /** The loopback address the DC listens on (and only there). */
  address: string;
  /** The samba process, leader of its own process group (stop() ends the whole group). */
  pid: number;
  /** PEM of the DC's TLS certificate authority (Samba's self-signed one, made at this DC's start). */
  caFile: string;
  /** The name the certificate carries: verify against it (tls servername), the URL has an address. */
  hostName: string;
  realm: string;
  netbiosDomain: string;
  baseDn: string;
  /** A service account for searches. */
  bindDn: string;
  bindPassword: string;
  /**
   * Keys: service, alice, bob (plain); special (`, # ( ) \ *` and non-ASCII); primary (primaryGroupID
   * is groups.primary); disabled; locked; expired; mustChange; with 'bulk' also `many` (in 1,500 groups);
   * with 'nested300' also `nested` (in 300 groups through four levels of nesting).
   */
  users: Record<string, SeededUser>;
  /**
   * Keys: level1 (alice, special) in level2 in level3; special; primary; outside (not under
   * groupsBaseDn); cycleA <-> cycleB (bob in cycleA); with 'bulk' also `bulk5000`.
   */
  groups: Record<string, SeededGroup>;
  /** The OU holding every seeded group except `outside` (a group base for scoping tests). */
  groupsBaseDn: string;
  /** With 'bulk': the 5,000 members of groups.bulk5000 and the 1,500 groups of users.many. */
  bulk?: { members: SeededUser[]; groupsOfMany: SeededGroup[] };
  /** With 'nested300': every group users.nested reaches (3 direct, 297 nested) and their OU. */
  nested?: { groups: SeededGroup[]; groupsBaseDn: string };
  /**
   * Freezes the DC (SIGSTOP): connections are still accepted by the kernel but nothing answers,
   * as with a hung domain controller. resume() (SIGCONT) lets it go on; stop() resumes first.
   */
  suspend(): void;
  resume(): void;
  stop(): Promise<void>;
}

const INSTANCE_PREFIX = 'flotilla-samba-ad-';

function smbConf(dir: string, address: string): string {
  return [
    '[global]',
    `netbios name = ${SAMBA_AD_DOMAIN.netbiosName}`,
    `realm = ${SAMBA_AD_DOMAIN.realm}`,
    `workgroup = ${SAMBA_AD_DOMAIN.netbiosDomain}`,
    'server role = active directory domain controller',
    // LDAP only: no SMB, Kerberos, DNS, NetBIOS or RPC ports that a second DC would clash on.
    'server services = ldap',
    `interfaces = ${address}/8`,
    'bind interfaces only = yes',
    // Tests bind with passwords over plain LDAP too (the client must allow it explicitly).
    'ldap server require strong auth = no',
    'tls enabled = yes',
    `private dir = ${dir}/private`,
    `state directory = ${dir}/state`,
    `cache directory = ${dir}/cache`,
    `lock directory = ${dir}/lock`,
    `pid directory = ${dir}/run`,
    `ncalrpc dir = ${dir}/run/ncalrpc`,
    `binddns dir = ${dir}/bind-dns`,
    'log level = 1',
    '',
  ].join('\n');
}

function seededRecords(seed: SambaAdSeed): Pick<SambaAd, 'users' | 'groups' | 'bulk' | 'nested'> {
  const users: Record<string, SeededUser> = { ...basicUsers() };
  const groups: Record<string, SeededGroup> = { ...basicGroups() };
  if (seed === 'nested300') {
    users['nested'] = nestedUser();
    return { users, groups, nested: { groups: nestedGroups(), groupsBaseDn: NESTED_GROUPS_OU } };
  }
  if (seed !== 'bulk') return { users, groups };
  users['many'] = bulkManyGroupsUser();
  groups['bulk5000'] = bulkBigGroupRecord();
  return { users, groups, bulk: { members: bulkUsers(), groupsOfMany: bulkGroups() } };
}

/**
 * A real Samba AD domain controller (LDAP only) on a loopback address of its own, seeded with the
 * accounts tests need: a copy of a cached provisioned template, started as `samba -i` in its own
 * process group. stop() kills the group and removes the copy. Needs Debian's samba, samba-ad-dc,
 * samba-ad-provision and ldb-tools (.ci/run installs them) and root (Samba's DC refuses otherwise).
 */
export async function startSambaAd(options: SambaAdOptions = {}): Promise<SambaAd> {
  const seed = options.seed ?? 'basic';
  const template = await sambaAdTemplate(seed);
  await removeAbandonedTempFolders(INSTANCE_PREFIX);
  const dir = await makeOwnedTempFolder(INSTANCE_PREFIX);
  let claimed: LoopbackAddress | undefined;
  let samba: ServerProcessGroup | undefined;
  let output = '';
  try {
    await run('cp', ['-a', `${template}/.`, dir]);
    // Lockouts expire (lockoutDuration, 30 minutes by default): locked as of this start.
    const users = basicUsers();
    await ldbModify(
      join(dir, 'private', 'sam.ldb'),
      [{ dn: users[lockedUserKey].dn, changetype: 'modify', replace: { lockoutTime: fileTime(new Date()) } }],
      dir,
    );
    claimed = await claimLoopbackAddress();
    const address = claimed.address;
    const conf = join(dir, 'smb.conf');
    await writeFile(conf, smbConf(dir, address));
    samba = ServerProcessGroup.spawn(['samba', '-i', '-M', 'single', '-s', conf], (chunk) => {
      output = (output + chunk.toString()).slice(-16_000);
    });
    const ldapUrl = `ldap://${address}:389`;
    const service = users.service;
    const answer = await samba.awaitFirstBind(ldapUrl, service, 60_000);
    if (answer === 'exited') throw new Error(`samba exited (${samba.exitedWith()}) before answering LDAP`);
    if (answer === 'timed out')
      throw new Error(`samba did not answer an LDAP bind on ${ldapUrl} within 60 s`);
    const { pgid, stop } = samba.keepUntilStopped(dir, claimed.release);
    return {
      ldapUrl,
      ldapsUrl: `ldaps://${address}:636`,
      address,
      pid: pgid,
      caFile: join(dir, 'private', 'tls', 'ca.pem'),
      hostName: SAMBA_AD_DOMAIN.hostName,
      realm: SAMBA_AD_DOMAIN.realm,
      netbiosDomain: SAMBA_AD_DOMAIN.netbiosDomain,
      baseDn: SAMBA_AD_DOMAIN.baseDn,
      bindDn: service.dn,
      bindPassword: service.password,
      groupsBaseDn: GROUPS_OU,
      ...seededRecords(seed),
      suspend: () => process.kill(-pgid, 'SIGSTOP'),
      resume: () => process.kill(-pgid, 'SIGCONT'),
      stop,
    };
  } catch (error) {
    await samba?.stop();
    await rm(dir, { recursive: true, force: true });
    claimed?.release();
    throw new Error(
      `Samba AD DC did not start: ${(error as Error).message}\n--- samba output ---\n${output}`,
    );
  }
}
