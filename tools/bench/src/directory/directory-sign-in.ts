import { Logger } from '@nestjs/common';
import { Client as PgClient } from 'pg';

import { loadDirectoryConfig } from '@flotilla/platform/config';
import {
  FlotillaNode,
  NESTED,
  SambaAd,
  sambaDirectoryEnvironment,
  SeededUser,
  startFlotillaNode,
  startSambaAd,
} from '@flotilla/testing';

import { readOptions, UsageError, wholeNumber } from '../bench-options';
import { runBenchmark, Teardown } from '../bench-runner';
import { LatencySummary, summarise } from '../percentiles';
import { formatTable, ms, progress } from '../report';

import { DirectoryClient } from './auth-in-process';
import { provideTestPostgres } from './bench-postgres';
import { coverageProblem, groupCoverage } from './group-coverage';
import { ldapRequestKind, LdapRequestTally, meterLdapClients } from './ldap-request-meter';
import { formatLoadAverage } from './load-average';

const USAGE = `Sign-in latency of a directory user in ${NESTED.groups} nested groups, against a real Samba AD DC:
the directory client alone (libs/auth/src/directory, in this process), then POST /api/users/login
on the gateway of a real single-node stack. Every sign-in is checked; any failure fails the run.

  npm run bench:directory-sign-in [-- --count 200 --warmup 10]`;

interface Measured {
  latencies: number[];
  errors: number;
  firstError?: string;
}

/** The sign-in of `user` and what is wrong with its outcome (undefined: right), timed by the caller. */
type SignIn = () => Promise<string | undefined>;

async function measure(
  signIn: SignIn,
  warmup: number,
  count: number,
  label: string,
  afterWarmup: () => void = () => undefined,
): Promise<Measured> {
  const measured: Measured = { latencies: [], errors: 0 };
  for (let index = 0; index < warmup + count; index += 1) {
    if (index === warmup) afterWarmup();
    const started = performance.now();
    let problem: string | undefined;
    try {
      problem = await signIn();
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    const elapsed = performance.now() - started;
    if (index < warmup) {
      // A warm-up that fails is the same failure the samples would have: stop before timing it.
      if (problem) throw new Error(`${label}: the warm-up sign-in failed: ${problem}`);
      continue;
    }
    if (problem) {
      measured.errors += 1;
      measured.firstError ??= problem;
    } else measured.latencies.push(elapsed);
    if ((index - warmup + 1) % 50 === 0) progress(`${label}: ${index - warmup + 1}/${count}`);
  }
  return measured;
}

/** The DN of the domain's primary group every user has (Domain Users): found beside the nested ones. */
function domainUsersDn(ad: SambaAd): string {
  return `CN=Domain Users,CN=Users,${ad.baseDn}`.toLowerCase();
}

/** The directory client alone: search, bind as the user, rebind, in-chain groups, primary group. */
async function directoryClientAlone(
  ad: SambaAd,
  env: Record<string, string>,
  user: SeededUser,
  expectedDns: string[],
  warmup: number,
  count: number,
): Promise<{ measured: Measured; tally: LdapRequestTally; groupIds: Map<string, string> }> {
  const config = loadDirectoryConfig(env);
  if (!config) throw new Error('the directory settings did not read as a directory configuration');
  const client = new DirectoryClient(config);
  const tally = new LdapRequestTally();
  const groupIds = new Map<string, string>();
  const userDn = user.dn.toLowerCase();
  // The in-chain searches split by whose groups they ask: the user's (the 300) or the primary group's.
  const undo = meterLdapClients(tally, (message) => {
    const kind = ldapRequestKind(message);
    if (kind !== 'search: nested groups (in-chain)') return kind;
    return message.filter?.toString().toLowerCase().includes(userDn)
      ? "search: the user's nested groups (in-chain)"
      : "search: the primary group's parents (in-chain)";
  });
  try {
    const measured = await measure(
      async () => {
        const found = await client.authenticate(user.upn, user.password);
        if (!found) return 'the directory refused the right password';
        for (const group of found.groups) groupIds.set(group.dn.toLowerCase(), group.id);
        return coverageProblem(
          groupCoverage(
            found.groups.map((group) => group.dn.toLowerCase()),
            expectedDns,
            [domainUsersDn(ad)],
          ),
        );
      },
      warmup,
      count,
      'directory client',
      () => tally.reset(),
    );
    return { measured, tally, groupIds };
  } finally {
    undo();
  }
}

interface LoginReply {
  token?: string;
  user?: { username?: string; source?: string };
}

/** POST /api/users/login on the node's own gateway; right when 200 with a token for the directory account. */
async function restSignIn(
  node: FlotillaNode,
  user: SeededUser,
  expectedUsername: string,
): Promise<string | undefined> {
  const response = await fetch(`${node.baseUrl}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.upn, password: user.password }),
  });
  const text = await response.text();
  if (response.status !== 200) return `HTTP ${response.status}: ${text.slice(0, 300)}`;
  const reply = JSON.parse(text) as LoginReply;
  if (!reply.token) return 'HTTP 200 without a token';
  if (reply.user?.source !== 'directory' || reply.user.username !== expectedUsername)
    return `signed in as ${reply.user?.username} (${reply.user?.source}), not the directory account ${expectedUsername}`;
  return undefined;
}

/**
 * The groups the stack recorded for the user at its sign-ins (directory_user_groups, by objectSid),
 * where this build records them; undefined when it has no such table.
 */
async function recordedGroupIds(node: FlotillaNode, username: string): Promise<string[] | undefined> {
  const db = new PgClient({ connectionString: node.databaseUrl });
  await db.connect();
  try {
    const table = await db.query<{ exists: boolean }>(
      "SELECT to_regclass('directory_user_groups') IS NOT NULL AS exists",
    );
    if (!table.rows[0]?.exists) return undefined;
    const rows = await db.query<{ group_id: string }>(
      'SELECT g.group_id FROM directory_user_groups g JOIN users u ON u.id = g.user_id WHERE u.username = $1',
      [username],
    );
    return rows.rows.map((row) => row.group_id);
  } finally {
    await db.end();
  }
}

function latencyRow(label: string, measured: Measured): string[] {
  if (measured.latencies.length === 0) return [label, '0', String(measured.errors), '-', '-', '-', '-'];
  const summary: LatencySummary = summarise(measured.latencies);
  return [
    label,
    String(summary.count),
    String(measured.errors),
    ms(summary.p50),
    ms(summary.p99),
    ms(summary.mean),
    ms(summary.max),
  ];
}

/** Mean time per sign-in in each kind of LDAP request, and what the client spent outside them. */
function breakdownRows(tally: LdapRequestTally, measured: Measured): string[][] {
  const signIns = measured.latencies.length + measured.errors;
  const total = measured.latencies.reduce((sum, latency) => sum + latency, 0);
  const rows = tally
    .kinds()
    .map((kind) => [
      kind,
      (tally.count(kind) / signIns).toFixed(1),
      ms(tally.totalMs(kind) / signIns),
      `${((100 * tally.totalMs(kind)) / total).toFixed(0)}%`,
    ]);
  const outside = total - tally.totalMs();
  rows.push([
    'connect (TCP + TLS), parsing, the rest',
    '-',
    ms(outside / signIns),
    `${((100 * outside) / total).toFixed(0)}%`,
  ]);
  return rows;
}

async function main(teardown: Teardown): Promise<boolean> {
  // The directory client's debug lines (an ignored referral per sign-in) would bury the progress.
  Logger.overrideLogger(['error', 'warn']);
  const options = readOptions(USAGE, {
    count: { default: '200', help: 'timed sign-ins on each path' },
    warmup: { default: '10', help: 'untimed sign-ins first on each path (must succeed)' },
  });
  const count = wholeNumber('count', options.count, 1, 100_000);
  const warmup = wholeNumber('warmup', options.warmup, 0, 10_000);
  const loadAtStart = formatLoadAverage();
  progress(`load average at start: ${loadAtStart}`);

  progress('starting Samba AD (nested300 seed; its first start on a machine provisions it)');
  const ad = await teardown.use('Samba AD DC', startSambaAd({ seed: 'nested300' }), (dc) => dc.stop());
  const user = ad.users['nested'];
  const nested = ad.nested;
  if (!user || !nested) throw new UsageError('the nested300 seed has no nested user');
  const expectedDns = nested.groups.map((group) => group.dn.toLowerCase());
  // The stack and the client alone read the same settings: LDAPS verified, groups under the seed's OU.
  const env = sambaDirectoryEnvironment(ad, { FLOTILLA_DIRECTORY_GROUP_BASE_DN: ad.groupsBaseDn });

  progress(`directory client alone: ${warmup} warm-up + ${count} sign-ins`);
  const alone = await directoryClientAlone(ad, env, user, expectedDns, warmup, count);

  await provideTestPostgres(teardown);
  progress('starting a single Flotilla node with the directory configured');
  const node = await teardown.use('Flotilla node', startFlotillaNode({ env }), (started) => started.stop());
  const username = `${ad.netbiosDomain}\\${user.sam}`;
  progress(`REST POST /api/users/login: ${warmup} warm-up + ${count} sign-ins`);
  const rest = await measure(() => restSignIn(node, user, username), warmup, count, 'REST sign-in');

  const recorded = await recordedGroupIds(node, username);
  const expectedIds = expectedDns.map((dn) => alone.groupIds.get(dn) ?? `(no id read for ${dn})`);
  const primaryId = alone.groupIds.get(domainUsersDn(ad));
  const recordedProblem = recorded
    ? coverageProblem(groupCoverage(recorded, expectedIds, primaryId ? [primaryId] : []))
    : undefined;

  const loadAtEnd = formatLoadAverage();
  process.stdout.write(
    `\nDirectory sign-in of a user in ${NESTED.groups} nested groups (${NESTED.fanouts.join(' x ')} fan-out: ` +
      `${NESTED.fanouts[0]} direct, ${NESTED.fanouts.length} levels), Samba AD over LDAPS on loopback, sequential\n\n` +
      formatTable(
        ['path', 'sign-ins', 'errors', 'p50', 'p99', 'mean', 'max'],
        [
          latencyRow('directory client alone (in process)', alone.measured),
          latencyRow('REST POST /api/users/login (single node)', rest),
        ],
      ) +
      `\n\nWhere the directory client's time goes (per sign-in; ${alone.tally.count()} LDAP requests in all):\n\n` +
      formatTable(
        ['LDAP request', 'requests', 'mean time', 'share'],
        breakdownRows(alone.tally, alone.measured),
      ) +
      `\n\nGroups: every directory-client sign-in found all ${NESTED.groups} seeded groups ` +
      `(plus the primary group Domain Users) or counted as an error; ` +
      (recorded
        ? `the stack recorded ${recorded.length} groups for ${username} (${recordedProblem ?? `all ${NESTED.groups} seeded ones, by objectSid`}).`
        : `this build records no directory groups (no directory_user_groups table): the REST path's groups were NOT checked, only that each sign-in answered 200 with a token for the directory account.`) +
      `\nLoad average at start: ${loadAtStart}; at end: ${loadAtEnd} (the machine is shared: figures are measured under that load).\n`,
  );
  const failures = [
    ...(alone.measured.errors > 0
      ? [`directory client: ${alone.measured.errors} failed sign-ins, first: ${alone.measured.firstError}`]
      : []),
    ...(rest.errors > 0 ? [`REST: ${rest.errors} failed sign-ins, first: ${rest.firstError}`] : []),
    ...(recordedProblem ? [`REST: the recorded groups are wrong: ${recordedProblem}`] : []),
  ];
  if (rest.errors > 0) {
    // The gateway answers a generic 503 for auth's UNAVAILABLE: the node's log says why (a directory timeout...).
    const lines = node
      .output()
      .split('\n')
      .filter((line) => /directory|domain controller/i.test(line));
    process.stderr.write(`\nThe node's directory log lines (last 20):\n${lines.slice(-20).join('\n')}\n`);
  }
  if (failures.length > 0) throw new Error(`The benchmark measured failed sign-ins:\n${failures.join('\n')}`);
  return true;
}

runBenchmark(main);
