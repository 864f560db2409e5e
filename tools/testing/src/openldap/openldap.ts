import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Client, EqualityFilter, OrFilter } from 'ldapts';

import { freePorts } from '@flotilla/platform/net';

import {
  deepChain,
  GROUPS_OU,
  groupsOfMany,
  Keyed,
  OPENLDAP_BASE_DN,
  OpenLdapGroup,
  OpenLdapUser,
  PEOPLE_OU,
  seedGroups,
  seedLdif,
  seedUsers,
  serviceAccounts,
} from './openldap-seed';
import { createOpenLdapTls, OPENLDAP_HOST_NAME } from './openldap-tls';
import { OPENLDAP_ADMIN, slapdConfig } from './slapd-config';
import { makeOwnedTempFolder, removeAbandonedTempFolders } from '../owned-temp-folders';
import { ServerProcessGroup } from '../server-process-group';

const execFileAsync = promisify(execFile);

export interface OpenLdap {
  /** ldap://127.0.0.1:<port> (StartTLS available; a plain bind is accepted by the server). */
  ldapUrl: string;
  /** ldaps://127.0.0.1:<port> */
  ldapsUrl: string;
  /** PEM file of the CA that signed the server certificate. */
  caFile: string;
  /** PEM file of a CA that signed nothing here (wrong-CA tests). */
  untrustedCaFile: string;
  /** The only name the certificate carries: verify against it (the URLs reach 127.0.0.1). */
  hostName: string;
  baseDn: string;
  peopleDn: string;
  /** Every seeded group but groups.outside is under it. */
  groupsBaseDn: string;
  /** The search account (reads everything but passwords). */
  bindDn: string;
  bindPassword: string;
  /** A search account whose paged searches the server also cuts at the size limit. */
  limitedBindDn: string;
  limitedBindPassword: string;
  /** The rootdn, for specs that change the directory (rename); not a Flotilla setting. */
  adminDn: string;
  adminPassword: string;
  /** See seedUsers(): alice, bob, special, star, renamed, deep, deepEdge, many. */
  users: Record<string, Keyed<OpenLdapUser>>;
  /** See seedGroups(): level1-3, special, cycleA, cycleB, outside, big, renamedTeam. */
  groups: Record<string, Keyed<OpenLdapGroup>>;
  /** deep-01 .. deep-40, bottom first. */
  deepChain: OpenLdapGroup[];
  /** The groups users.many is in. */
  groupsOfMany: OpenLdapGroup[];
  /** slapd's pid (leader of its own process group). */
  pid: number;
  /** The DNs of the BIND operations slapd has logged so far, in order (to prove a bind was never sent). */
  bindsLogged(): string[];
  stop(): Promise<void>;
}

const INSTANCE_PREFIX = 'flotilla-openldap-';
const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';

/**
 * The seeded database, made once per module registry (jest: once per spec file): slapadd of the
 * whole LDIF (about 2,400 entries, about a second, 3.5 MB) into an mdb folder that each server then
 * copies. slapadd writes the entryUUIDs, so the servers made from one template share them.
 * Removed when the process exits, or by removeAbandonedTempFolders() once a killed owner is gone.
 */
let template: Promise<{ dir: string; dataDir: string }> | undefined;

async function seededTemplate(): Promise<{ dir: string; dataDir: string }> {
  template ??= (async () => {
    const dir = await makeOwnedTempFolder(INSTANCE_PREFIX);
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    const tls = await createOpenLdapTls(dir);
    const conf = join(dir, 'slapd.conf');
    await writeFile(conf, slapdConfig(dir, dataDir, tls));
    await writeFile(join(dir, 'seed.ldif'), seedLdif());
    try {
      await execFileAsync(SLAPADD, ['-q', '-f', conf, '-l', join(dir, 'seed.ldif')], { maxBuffer: 1 << 24 });
    } catch (error) {
      throw new Error(`slapadd failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
    }
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return { dir, dataDir };
  })();
  template.catch(() => (template = undefined));
  return template;
}

/** The entryUUIDs of the seeded users and groups, as the server reports them. */
async function readKeys(
  url: string,
  users: Record<string, OpenLdapUser>,
  groups: Record<string, OpenLdapGroup>,
) {
  const client = new Client({ url, timeout: 10_000 });
  try {
    await client.bind(OPENLDAP_ADMIN.dn, OPENLDAP_ADMIN.password);
    const keyed = async <T extends OpenLdapUser | OpenLdapGroup>(
      records: Record<string, T>,
      base: string,
      attribute: 'uid' | 'cn',
    ): Promise<Record<string, Keyed<T>>> => {
      const value = (record: T): string => ('uid' in record ? record.uid : record.cn);
      const { searchEntries } = await client.search(base, {
        scope: 'sub',
        filter: new OrFilter({
          filters: Object.values(records).map(
            (record) => new EqualityFilter({ attribute, value: value(record) }),
          ),
        }),
        attributes: [attribute, 'entryUUID'],
      });
      return Object.fromEntries(
        Object.entries(records).map(([key, record]) => {
          const entry = searchEntries.find((found) => String(found[attribute]) === value(record));
          if (!entry) throw new Error(`seeded ${attribute}=${value(record)} is not in the directory`);
          return [key, { ...record, dn: entry.dn, entryUuid: String(entry['entryUUID']).toLowerCase() }];
        }),
      );
    };
    return {
      users: await keyed(users, PEOPLE_OU, 'uid'),
      groups: await keyed(groups, OPENLDAP_BASE_DN, 'cn'),
    };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * A real OpenLDAP slapd on 127.0.0.1 (ldap:// with StartTLS and ldaps://, on free ports), with a
 * test CA, the seed of openldap-seed.ts and its own copy of the database, started in its own
 * process group (with a parent-death signal, so a killed jest worker takes it along). stop() ends
 * it and removes its folder. Needs Debian's slapd and ldap-utils (.ci/run installs them).
 */
export async function startOpenLdap(): Promise<OpenLdap> {
  await removeAbandonedTempFolders(INSTANCE_PREFIX);
  const seeded = await seededTemplate();
  const dir = await makeOwnedTempFolder(INSTANCE_PREFIX);
  let slapd: ServerProcessGroup | undefined;
  let output = '';
  const binds: string[] = [];
  try {
    const dataDir = join(dir, 'data');
    await execFileAsync('cp', ['-a', seeded.dataDir, dataDir]);
    const tls = await createOpenLdapTls(dir);
    const conf = join(dir, 'slapd.conf');
    await writeFile(conf, slapdConfig(dir, dataDir, tls));
    const { service, limited } = serviceAccounts();
    let partial = '';
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString();
      output = (output + text).slice(-16_000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        // One line per BIND request ("method=..."); a successful one is logged again with "mech=".
        const bind = /op=\d+ BIND dn="([^"]*)" method=/.exec(line);
        if (bind) binds.push(bind[1]);
      }
    };
    let ldapUrl = '';
    let ldapsUrl = '';
    // A port taken between freePorts() and slapd's listen (another worker's server): new ports.
    for (let attempt = 1; ; attempt++) {
      const [ldapPort, ldapsPort] = await freePorts(2);
      ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
      ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
      // -d stats: in the foreground, logging each connection and operation to stderr.
      slapd = ServerProcessGroup.spawn(
        [SLAPD, '-f', conf, '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', 'stats'],
        keep,
      );
      const answer = await slapd.awaitFirstBind(ldapUrl, service, 30_000);
      if (answer === 'answered') break;
      if (answer === 'timed out') throw new Error(`slapd did not answer a bind on ${ldapUrl} within 30 s`);
      if (attempt === 3 || !/already in use/i.test(output)) {
        throw new Error(`slapd exited (${slapd.exitedWith()}) before answering LDAP`);
      }
    }
    const { pgid, stop } = slapd.keepUntilStopped(dir);
    const keys = await readKeys(ldapUrl, seedUsers(), seedGroups());
    return {
      ldapUrl,
      ldapsUrl,
      caFile: tls.caFile,
      untrustedCaFile: tls.untrustedCaFile,
      hostName: OPENLDAP_HOST_NAME,
      baseDn: OPENLDAP_BASE_DN,
      peopleDn: PEOPLE_OU,
      groupsBaseDn: GROUPS_OU,
      bindDn: service.dn,
      bindPassword: service.password,
      limitedBindDn: limited.dn,
      limitedBindPassword: limited.password,
      adminDn: OPENLDAP_ADMIN.dn,
      adminPassword: OPENLDAP_ADMIN.password,
      ...keys,
      deepChain: deepChain(),
      groupsOfMany: groupsOfMany(),
      pid: pgid,
      bindsLogged: () => [...binds],
      stop,
    };
  } catch (error) {
    await slapd?.stop();
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `OpenLDAP slapd did not start: ${(error as Error).message}\n--- slapd output ---\n${output}`,
    );
  }
}
