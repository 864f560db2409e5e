import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

import { Attribute, Change, Client } from 'ldapts';

import {
  createMigratedTestDatabase,
  MigratedTestDatabase,
  SAMBA_AD_ADMINISTRATOR_PASSWORD,
  SambaAd,
  SambaAdSeed,
  startSambaAd,
} from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';

import type { DirectorySyncRun, DirectorySyncService, DirectorySyncStatus } from './directory-sync.service';
import type { TeamGroupsHarness } from './team-groups.test-support';

/**
 * What the directory sync's Samba AD specs run against: a DC with the seed they need, the run's
 * database migrated for auth, and a connection bound as the domain's Administrator, through which
 * a spec changes the directory under the sync (group members, account control, deletions).
 */
export interface SambaSyncFixture {
  readonly ad: SambaAd;
  readonly db: MigratedTestDatabase;
  readonly admin: Client;
}

/** Starts the DC and the database side by side (each takes seconds), then binds the Administrator. */
export async function startSambaSyncFixture(seed: SambaAdSeed): Promise<SambaSyncFixture> {
  const [ad, db] = await Promise.all([
    startSambaAd({ seed }),
    createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }),
  ]);
  const admin = new Client({
    url: ad.ldapsUrl,
    tlsOptions: { ca: readFileSync(ad.caFile, 'utf8'), servername: ad.hostName },
  });
  try {
    await admin.bind(`CN=Administrator,CN=Users,${ad.baseDn}`, SAMBA_AD_ADMINISTRATOR_PASSWORD);
  } catch (error) {
    // The spec never gets the fixture to stop: the DC and the database would outlive it.
    await stopSambaSyncFixture({ ad, db, admin });
    throw error;
  }
  return { ad, db, admin };
}

/**
 * Ends what startSambaSyncFixture made. Any part may be missing (an afterAll after a beforeAll
 * that failed). The DC is resumed first: a test that failed while it was suspended would
 * otherwise leave the Administrator's unbind waiting on it.
 */
export async function stopSambaSyncFixture(fixture: Partial<SambaSyncFixture>): Promise<void> {
  fixture.ad?.resume();
  await fixture.admin?.unbind().catch(() => undefined);
  await Promise.all([fixture.ad?.stop(), fixture.db?.dispose()]);
}

/** Adds `memberDn` to the group `groupDn` or deletes it from there, as the domain's administrator would. */
export async function setGroupMember(
  admin: Client,
  groupDn: string,
  memberDn: string,
  operation: 'add' | 'delete',
): Promise<void> {
  await admin.modify(
    groupDn,
    new Change({ operation, modification: new Attribute({ type: 'member', values: [memberDn] }) }),
  );
}

/** One timed pass of the sync, with the status it left. */
export interface TimedPass {
  readonly outcome: DirectorySyncRun;
  readonly status: DirectorySyncStatus;
  /** The pass alone: the pause that waits out the previous pass's lease is not counted. */
  readonly ms: number;
}

/** The next pass of `sync` (harness.nextPass: after the lease's pause), timed. */
export async function timedSyncPass(
  harness: TeamGroupsHarness,
  sync: DirectorySyncService,
): Promise<TimedPass> {
  const started = performance.now();
  const outcome = await harness.nextPass(sync);
  const ms = Math.round(performance.now() - started - harness.leaseTtlMs - 100);
  return { outcome, status: await sync.status(), ms };
}

/**
 * Prints a scale spec's figure with the machine's load average, so a run's log carries both: the
 * machine is shared, so the times are for the report and never asserted.
 */
export function logWithLoadAverage(line: string): void {
  process.stdout.write(
    `${line}; load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}\n`,
  );
}
