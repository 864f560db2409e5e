import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { LdifEntry, toLdif } from './ldif';
import { nestedSeedEntries } from './samba-ad-nested-seed';
import {
  basicGroups,
  basicSeedEntries,
  basicUsers,
  bulkSeedEntries,
  mustChangeUserKey,
  primaryGroupKey,
  primaryGroupUserKey,
  SAMBA_AD_DOMAIN,
  SambaAdSeed,
} from './samba-ad-seed';

const execFileAsync = promisify(execFile);

/** Bumped whenever the build steps below change in a way the seed's LDIF does not show. */
const TEMPLATE_FORMAT = 1;
/** Samba's administrator (not handed to tests: they use the service account or a user). */
export const ADMINISTRATOR_PASSWORD = 'Flotilla-Admin-Pw-0';
const READY_MARKER = '.flotilla-template-ready';

export async function run(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${failure.message}\n${(failure.stderr ?? '').slice(-4000)}`,
    );
  }
}

/** Applies LDIF to a stopped DC's sam.ldb, through Samba's own modules (password hashing, links, SIDs). */
export async function ldbModify(
  samLdb: string,
  entries: readonly LdifEntry[],
  folder: string,
): Promise<void> {
  const file = join(folder, `seed-${process.pid}-${Date.now()}.ldif`);
  await writeFile(file, toLdif(entries));
  try {
    await run('ldbmodify', ['-H', samLdb, file]);
  } finally {
    await rm(file, { force: true });
  }
}

async function ridOf(samLdb: string, dn: string): Promise<number> {
  const out = await run('ldbsearch', ['-H', samLdb, '-b', dn, '-s', 'base', 'objectSid']);
  const sid = /^objectSid: (S-[\d-]+)$/m.exec(out)?.[1];
  if (!sid) throw new Error(`no objectSid for ${dn} in:\n${out}`);
  return Number(sid.slice(sid.lastIndexOf('-') + 1));
}

function seedEntries(seed: SambaAdSeed): LdifEntry[] {
  if (seed === 'nested300') return [...basicSeedEntries(), ...nestedSeedEntries()];
  return seed === 'bulk' ? [...basicSeedEntries(), ...bulkSeedEntries()] : basicSeedEntries();
}

/** Provisions a DC into `target` and loads the seed, offline (no server runs during the build). */
async function build(target: string, seed: SambaAdSeed): Promise<void> {
  await run('samba-tool', [
    'domain',
    'provision',
    `--realm=${SAMBA_AD_DOMAIN.realm}`,
    `--domain=${SAMBA_AD_DOMAIN.netbiosDomain}`,
    `--host-name=${SAMBA_AD_DOMAIN.netbiosName}`,
    '--server-role=dc',
    '--dns-backend=NONE',
    `--adminpass=${ADMINISTRATOR_PASSWORD}`,
    `--targetdir=${target}`,
    // Never the machine's interfaces, even for the moment provisioning looks at them.
    '--option=interfaces=127.0.0.1/8',
    '--option=bind interfaces only=yes',
  ]);
  const samLdb = join(target, 'private', 'sam.ldb');
  // Passwords never expire with age: a cached template must not turn into expired accounts after
  // 42 days (Samba's default). pwdLastSet=0 still forces a change.
  await ldbModify(
    samLdb,
    [{ dn: SAMBA_AD_DOMAIN.baseDn, changetype: 'modify', replace: { maxPwdAge: '-9223372036854775808' } }],
    target,
  );
  await ldbModify(samLdb, seedEntries(seed), target);
  const users = basicUsers();
  const rid = await ridOf(samLdb, basicGroups()[primaryGroupKey].dn);
  await ldbModify(
    samLdb,
    [
      { dn: users[primaryGroupUserKey].dn, changetype: 'modify', replace: { primaryGroupID: rid } },
      { dn: users[mustChangeUserKey].dn, changetype: 'modify', replace: { pwdLastSet: '0' } },
    ],
    target,
  );
}

function cacheRoot(): string {
  return process.env['FLOTILLA_TEST_CACHE_DIR'] ?? join(tmpdir(), 'flotilla-cache');
}

/**
 * A provisioned and seeded DC folder, built once per seed, Samba version and seed content on this
 * machine (in FLOTILLA_TEST_CACHE_DIR or the temp folder) and copied for each DC started. It is
 * built in a temp sibling renamed into place, so two jest workers building at once never see half
 * a template; the slower one's build is dropped.
 */
export async function sambaAdTemplate(seed: SambaAdSeed): Promise<string> {
  const version = await run('samba', ['--version']).catch((error: Error) => {
    throw new Error(
      `Samba is needed for the directory tests (Debian: samba samba-ad-dc samba-ad-provision ldb-tools, as .ci/run installs them): ${error.message}`,
    );
  });
  const key = createHash('sha256')
    .update(`${TEMPLATE_FORMAT}\n${version}\n${toLdif(seedEntries(seed))}`)
    .digest('hex')
    .slice(0, 16);
  const root = cacheRoot();
  const target = join(root, `samba-ad-${seed}-${key}`);
  const lockFile = `${target}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  await mkdir(root, { recursive: true });
  for (;;) {
    if (existsSync(join(target, READY_MARKER))) return target;
    if (takeBuildLock(lockFile)) break;
    // Another process builds it (the bulk seed takes ~20 s of CPU): wait rather than build twice.
    if (Date.now() > deadline) throw new Error(`${lockFile} held for 10 minutes: a build hangs`);
    await sleep(250);
  }
  const building = await mkdtemp(join(root, `samba-ad-${seed}-building-`));
  try {
    await build(building, seed);
    await writeFile(join(building, READY_MARKER), new Date().toISOString());
    await rename(building, target);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (existsSync(join(target, READY_MARKER))) return target;
    throw error;
  } finally {
    rmSync(lockFile, { force: true });
  }
  return target;
}

/** The build lock: a file naming its process, taken over when that process is gone. */
function takeBuildLock(lockFile: string): boolean {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    let owner = 0;
    try {
      owner = Number(readFileSync(lockFile, 'utf8'));
      process.kill(owner, 0);
      return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPERM') return false;
      if (owner === 0) return false; // the file vanished or is being written: look again
      rmSync(lockFile, { force: true });
      return false; // taken on the next look, unless someone else is quicker
    }
  }
}
