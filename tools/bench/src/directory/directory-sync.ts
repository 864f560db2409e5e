import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Logger } from '@nestjs/common';
import { Attribute, Change, Client } from 'ldapts';
import { DataSource, In } from 'typeorm';

import { loadDirectoryConfig } from '@flotilla/platform/config';
import {
  BULK,
  createMigratedTestDatabase,
  SAMBA_AD_ADMINISTRATOR_PASSWORD,
  SambaAd,
  sambaDirectoryEnvironment,
  startSambaAd,
} from '@flotilla/testing';

import { readOptions, wholeNumber } from '../bench-options';
import { runBenchmark, Teardown } from '../bench-runner';
import { formatTable, ms, progress, seconds } from '../report';

import {
  AccountStateRepository,
  AUTH_AUDIT_SOURCE,
  AuditRecorder,
  AuthEntities,
  AuthMigrations,
  ClusterLease,
  decodeGuid,
  DirectoryAccountReader,
  DirectorySyncLeaseEntity,
  DirectorySyncRepository,
  DirectorySyncService,
  normalizeUsername,
  RedisTokenRevocations,
  SessionEntity,
  SessionsRepository,
  TokenRevocation,
  UserEntity,
} from './auth-in-process';
import { provideTestPostgres } from './bench-postgres';
import { LdapRequestTally, meterLdapClients } from './ldap-request-meter';
import { formatLoadAverage } from './load-average';
import { spreadIndices } from './spread-indices';

const USAGE = `The whole-cluster directory sync (libs/auth/src/directory-sync) of ${BULK.groupMembers} directory users
against a real Samba AD DC (its bulk seed, loaded by one LDIF): ${BULK.groupMembers} matching Flotilla accounts
inserted in the database, some disabled in AD, then two "nodes" (two DirectorySyncService instances
on one database, each with its own directory connections) tick at once: the cluster lease lets one
run the pass. Prints its duration, users/s, the LDAP requests it made and what it revoked, then a
second pass with nothing to change. Every outcome is checked; a wrong one fails the run.

  npm run bench:directory-sync [-- --disable 50]`;

const LEASE = 'directory-sync';
/** Long enough that no pass can outlive its lease here (the product's is the sync interval). */
const LEASE_TTL_MS = 10 * 60_000;
const ACCOUNTDISABLE = 0x2;
const INSERT_CHUNK = 500;

interface DirectoryAccount {
  sam: string;
  dn: string;
  guid: string;
  userAccountControl: number;
}

/** Every bulk member's objectGUID and userAccountControl, in one paged search. */
async function readBulkMembers(admin: Client, ad: SambaAd): Promise<DirectoryAccount[]> {
  const wanted = new Set((ad.bulk?.members ?? []).map((member) => member.sam.toLowerCase()));
  const { searchEntries } = await admin.search(ad.baseDn, {
    filter: '(&(objectClass=user)(sAMAccountName=bulk-*))',
    attributes: ['sAMAccountName', 'objectGUID', 'userAccountControl'],
    explicitBufferAttributes: ['objectGUID'],
    paged: { pageSize: 1000 },
  });
  const accounts = searchEntries
    .filter((entry) => wanted.has(String(entry['sAMAccountName']).toLowerCase()))
    .map((entry) => ({
      sam: String(entry['sAMAccountName']),
      dn: entry.dn,
      guid: decodeGuid(entry['objectGUID'] as Buffer),
      userAccountControl: Number(entry['userAccountControl']),
    }))
    .sort((a, b) => a.sam.localeCompare(b.sam));
  if (accounts.length !== BULK.groupMembers)
    throw new Error(`the DC has ${accounts.length} bulk members, not ${BULK.groupMembers}`);
  return accounts;
}

/** The Flotilla accounts directory sign-ins would have made, inserted directly (the sync is measured, not sign-ins). */
async function insertAccounts(
  dataSource: DataSource,
  ad: SambaAd,
  accounts: DirectoryAccount[],
): Promise<string[]> {
  const ids = accounts.map(() => randomUUID());
  const now = new Date();
  for (let start = 0; start < accounts.length; start += INSERT_CHUNK) {
    const rows = accounts.slice(start, start + INSERT_CHUNK).map((account, offset) => {
      const username = `${ad.netbiosDomain}\\${account.sam}`;
      return {
        id: ids[start + offset],
        username,
        usernameNormalized: normalizeUsername(username),
        displayName: account.sam,
        passwordHash: null,
        roles: '[]',
        isActive: true,
        source: 'directory' as const,
        externalId: account.guid,
        mustChangePassword: false,
        createdAt: now,
        updatedAt: now,
      };
    });
    await dataSource.createQueryBuilder().insert().into(UserEntity).values(rows).execute();
  }
  return ids;
}

async function openSessions(dataSource: DataSource, userIds: readonly string[]): Promise<void> {
  const sessions = new SessionsRepository();
  for (const userId of userIds) {
    await sessions.open(dataSource.manager, {
      id: randomUUID(),
      tokenHash: randomUUID(),
      userId,
      ttlSeconds: 3600,
    });
  }
}

/** Disables the accounts in AD as an administrator would (userAccountControl |= ACCOUNTDISABLE). */
async function disableInDirectory(admin: Client, accounts: readonly DirectoryAccount[]): Promise<void> {
  for (const account of accounts) {
    await admin.modify(
      account.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({
          type: 'userAccountControl',
          values: [String(account.userAccountControl | ACCOUNTDISABLE)],
        }),
      }),
    );
  }
}

interface Node {
  name: string;
  sync: DirectorySyncService;
}

interface Pass {
  outcomes: { node: string; outcome: string; ms: number }[];
  ran: { node: string; ms: number };
  ldapRequests: LdapRequestTally;
}

/** Every node ticks at once; exactly one must take the lease and succeed, the others skip. */
async function clusterPass(nodes: readonly Node[], label: string): Promise<Pass> {
  const ldapRequests = new LdapRequestTally();
  const undo = meterLdapClients(ldapRequests);
  let outcomes: Pass['outcomes'];
  try {
    outcomes = await Promise.all(
      nodes.map(async (node) => {
        const started = performance.now();
        const outcome = await node.sync.tick();
        return { node: node.name, outcome, ms: performance.now() - started };
      }),
    );
  } finally {
    undo();
  }
  const ran = outcomes.filter((outcome) => outcome.outcome !== 'skipped');
  const skipped = outcomes.filter((outcome) => outcome.outcome === 'skipped');
  const [one] = ran;
  if (ran.length !== 1 || !one || one.outcome !== 'succeeded' || skipped.length !== nodes.length - 1)
    throw new Error(
      `${label}: expected one node to run the pass and the others to skip it, got ${JSON.stringify(outcomes)}`,
    );
  return { outcomes, ran: { node: one.node, ms: one.ms }, ldapRequests };
}

/** The requests by kind, and how long the pass waited on them (the rest: the database and the client). */
function requestsText(tally: LdapRequestTally): string {
  const kinds = tally
    .kinds()
    .map((kind) => `${tally.count(kind)} ${kind}`)
    .join(', ');
  return `${tally.count()} (${kinds}), waited on for ${seconds(tally.totalMs())}`;
}

function expectEqual(what: string, actual: unknown, expected: unknown, problems: string[]): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    problems.push(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

async function main(teardown: Teardown): Promise<boolean> {
  Logger.overrideLogger(['error', 'warn']);
  const options = readOptions(USAGE, {
    disable: { default: '50', help: `accounts disabled in AD before the pass (of ${BULK.groupMembers})` },
    nodes: { default: '2', help: 'sync services ticking at once on the one database' },
  });
  const toDisable = wholeNumber('disable', options.disable, 0, BULK.groupMembers);
  const nodeCount = wholeNumber('nodes', options.nodes, 2, 16);
  const loadAtStart = formatLoadAverage();
  progress(`load average at start: ${loadAtStart}`);

  progress('starting Samba AD (bulk seed; its first start on a machine provisions it)');
  const ad = await teardown.use('Samba AD DC', startSambaAd({ seed: 'bulk' }), (dc) => dc.stop());
  await provideTestPostgres(teardown);
  const db = await teardown.use(
    'auth database',
    createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }),
    (started) => started.dispose(),
  );
  const admin = new Client({
    url: ad.ldapsUrl,
    timeout: 60_000,
    tlsOptions: { ca: readFileSync(ad.caFile, 'utf8'), servername: ad.hostName },
  });
  await teardown.use(
    'directory administrator connection',
    admin.bind(`CN=Administrator,CN=Users,${ad.baseDn}`, SAMBA_AD_ADMINISTRATOR_PASSWORD),
    () => admin.unbind(),
  );

  const accounts = await readBulkMembers(admin, ad);
  progress(`inserting ${accounts.length} directory accounts`);
  const userIds = await insertAccounts(db.dataSource, ad, accounts);
  const disabledPicks = spreadIndices(accounts.length, toDisable);
  const disabledIds = disabledPicks.map((index) => userIds[index]);
  // Controls: as many untouched accounts with a session, which must keep it.
  const controlIds = disabledPicks.map((index) => userIds[(index + 1) % userIds.length]);
  await openSessions(db.dataSource, [...disabledIds, ...controlIds]);
  progress(`disabling ${toDisable} of them in AD`);
  await disableInDirectory(
    admin,
    disabledPicks.map((index) => accounts[index]),
  );

  const config = loadDirectoryConfig(sambaDirectoryEnvironment(ad));
  if (!config) throw new Error('the directory settings did not read as a directory configuration');
  const redis = new RedisTokenRevocations(process.env['FLOTILLA_REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  await teardown.use('Redis publisher', Promise.resolve(redis), (started) => started.onApplicationShutdown());
  const published: TokenRevocation[] = [];
  const revocations = {
    published: async (revocation: TokenRevocation): Promise<void> => {
      published.push(revocation);
      await redis.published(revocation);
    },
  };
  const audit = new AuditRecorder(AUTH_AUDIT_SOURCE);
  const lease = new ClusterLease(db.dataSource, LEASE);
  const nodes: Node[] = Array.from({ length: nodeCount }, (_, index) => {
    const name = `node-${String.fromCharCode(97 + index)}`;
    return {
      name,
      sync: new DirectorySyncService(
        db.dataSource,
        new DirectoryAccountReader(config),
        new DirectorySyncRepository(db.dataSource),
        new AccountStateRepository(),
        audit,
        revocations,
        lease,
        name,
        LEASE_TTL_MS,
      ),
    };
  });

  progress(`pass 1: ${nodeCount} nodes tick at once`);
  const first = await clusterPass(nodes, 'pass 1');
  const status = await nodes[0]?.sync.status();
  const problems: string[] = [];
  const inactive = await db.dataSource
    .getRepository(UserEntity)
    .find({ where: { source: 'directory', isActive: false }, select: { id: true } });
  expectEqual('pass 1 accounts checked', status?.usersChecked, accounts.length, problems);
  expectEqual('pass 1 accounts deactivated', status?.usersDeactivated, toDisable, problems);
  expectEqual('pass 1 ran on', status?.ranOn, first.ran.node, problems);
  expectEqual('inactive accounts', inactive.map((user) => user.id).sort(), [...disabledIds].sort(), problems);
  expectEqual(
    'revocations published',
    published.map((revocation) => revocation.userId).sort(),
    [...disabledIds].sort(),
    problems,
  );
  const sessionsOf = (ids: string[]) =>
    db.dataSource.getRepository(SessionEntity).countBy({ userId: In(ids) });
  expectEqual('sessions left of the disabled accounts', await sessionsOf(disabledIds), 0, problems);
  expectEqual(
    'sessions left of the control accounts',
    await sessionsOf(controlIds),
    controlIds.length,
    problems,
  );

  // The interval passes: the lease expires (any time in the past does, whatever the database's clock).
  await db.dataSource
    .createQueryBuilder()
    .update(DirectorySyncLeaseEntity)
    .set({ expiresAt: new Date(0) })
    .where('lease_name = :lease', { lease: LEASE })
    .execute();
  progress(`pass 2 (nothing to change): ${nodeCount} nodes tick at once`);
  const publishedBefore = published.length;
  const second = await clusterPass(nodes, 'pass 2');
  const status2 = await nodes[0]?.sync.status();
  expectEqual('pass 2 accounts checked', status2?.usersChecked, accounts.length, problems);
  expectEqual('pass 2 accounts deactivated', status2?.usersDeactivated, 0, problems);
  expectEqual('pass 2 accounts re-activated', status2?.usersReactivated, 0, problems);
  expectEqual('pass 2 revocations published', published.length - publishedBefore, 0, problems);

  const loadAtEnd = formatLoadAverage();
  const row = (label: string, pass: Pass, revoked: number): string[] => [
    label,
    pass.ran.node,
    String(accounts.length),
    seconds(pass.ran.ms),
    `${Math.round(accounts.length / (pass.ran.ms / 1000))}/s`,
    String(pass.ldapRequests.count()),
    String(revoked),
  ];
  process.stdout.write(
    `\nDirectory sync of ${accounts.length} directory accounts, Samba AD over LDAPS on loopback, PostgreSQL, ` +
      `${nodeCount} nodes ticking at once on one database (the lease lets one run)\n\n` +
      formatTable(
        ['pass', 'ran on', 'accounts', 'duration', 'users/s', 'LDAP requests', 'revoked'],
        [
          row(`1: ${toDisable} disabled in AD`, first, publishedBefore),
          row('2: nothing to change', second, 0),
        ],
      ) +
      `\n\nLease: ${first.outcomes.map((o) => `${o.node} ${o.outcome} (${ms(o.ms)})`).join(', ')}; ` +
      `pass 2: ${second.outcomes.map((o) => `${o.node} ${o.outcome} (${ms(o.ms)})`).join(', ')}.` +
      `\nLDAP requests, pass 1: ${requestsText(first.ldapRequests)}; pass 2: ${requestsText(second.ldapRequests)}.` +
      `\nRevoked in pass 1: ${publishedBefore} accounts deactivated with their sessions ended and a revocation published ` +
      `(checked: exactly the ${toDisable} disabled in AD; the ${controlIds.length} control accounts kept their sessions).` +
      `\nLoad average at start: ${loadAtStart}; at end: ${loadAtEnd} (the machine is shared: figures are measured under that load).\n`,
  );
  if (problems.length > 0) throw new Error(`The sync did not do what it should:\n${problems.join('\n')}`);
  return true;
}

runBenchmark(main);
