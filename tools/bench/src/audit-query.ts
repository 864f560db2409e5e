import { loadavg } from 'node:os';

import type { EventPage } from '@flotilla/api-interfaces';

import { startAuditBenchNode } from './audit/audit-bench-node';
import { seedAuditTrail, TRAIL_SHAPE } from './audit/audit-trail-seed';
import { BenchApi } from './bench-cluster';
import { readOptions, wholeNumber } from './bench-options';
import { runBenchmark } from './bench-runner';
import { seededRandom } from './open-loop-load';
import { summarise } from './percentiles';
import { formatTable, ms, printVerdicts, progress } from './report';

const USAGE = `A filtered page of the audit trail (issue 11): a node (npm start's launcher, PostgreSQL) whose
trail holds --events events (seeded in SQL, ${TRAIL_SHAPE.days} days of them), then each kind of query the
reviewers' page makes, timed through GET /api/events (gateway, gRPC, audit service, keyset page: no
OFFSET, no COUNT), interleaved, after a warm-up. Target: every filtered page p99 under 100 ms.
Usage: SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/src/audit-query.ts [options]`;

const options = readOptions(USAGE, {
  events: { default: '1000000', help: 'events in the trail' },
  samples: { default: '100', help: 'timed queries of each kind' },
  take: { default: '50', help: 'events per page (the portal shows 50)' },
});

const TARGET_P99_MS = 100;
const DEEP_PAGES = 200;
const DAY_MS = 86_400_000;

type Filters = Record<string, string>;

/** What a query needs besides chance: the time of the run and a cursor deep in the trail. */
interface QueryContext {
  now: Date;
  /** The cursor after DEEP_PAGES pages of the unfiltered trail. */
  deepCursor: string;
  /** How many events were seeded (request ids run 'req-1'…). */
  events: number;
}

interface QueryKind {
  name: string;
  /** False for the unfiltered views the target does not cover. */
  filtered: boolean;
  filters(random: () => number, context: QueryContext): Filters;
}

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)];

/** A window of `days` inside the seeded span. */
function window(now: Date, random: () => number, days: number): Filters {
  const to = now.getTime() - Math.floor(random() * (TRAIL_SHAPE.days - days)) * DAY_MS;
  return { from: new Date(to - days * DAY_MS).toISOString(), to: new Date(to).toISOString() };
}

const KINDS: QueryKind[] = [
  { name: 'newest page, no filter', filtered: false, filters: () => ({}) },
  {
    name: `page ${DEEP_PAGES + 1} by cursor, no filter`,
    filtered: false,
    filters: (_random, context) => ({ after: context.deepCursor }),
  },
  { name: 'actor (1 of 50)', filtered: true, filters: (r) => ({ actor: pick(r, TRAIL_SHAPE.actors) }) },
  { name: 'actor with few events', filtered: true, filters: () => ({ actor: TRAIL_SHAPE.rareActor }) },
  {
    name: 'action prefix',
    filtered: true,
    filters: (r) => ({ action: `${pick(r, ['project', 'task', 'user', 'package'])}.*` }),
  },
  { name: 'exact action', filtered: true, filters: (r) => ({ action: pick(r, TRAIL_SHAPE.actions) }) },
  {
    name: 'resource (type and id)',
    filtered: true,
    filters: (r) => {
      const type = pick(r, TRAIL_SHAPE.resourceTypes);
      return {
        resourceType: type,
        resourceId: `${type.toLowerCase()}-${Math.floor(r() * TRAIL_SHAPE.resourceIdsPerType)}`,
      };
    },
  },
  { name: 'one day', filtered: true, filters: (r, { now }) => window(now, r, 1) },
  {
    name: 'actor and 7 days',
    filtered: true,
    filters: (r, { now }) => ({ actor: pick(r, TRAIL_SHAPE.actors), ...window(now, r, 7) }),
  },
  {
    name: 'client address (one of 200)',
    filtered: true,
    filters: (r) => {
      const n = Math.floor(r() * TRAIL_SHAPE.clientAddresses);
      return { clientIp: `10.${Math.floor(n / 100)}.${n % 100}.${(n * 7) % 250}` };
    },
  },
  {
    name: 'CIDR block /16 (half the trail)',
    filtered: true,
    filters: (r) => ({ clientIp: `10.${pick(r, [0, 1])}.0.0/16` }),
  },
  {
    name: 'outcome failure (1 in 100)',
    filtered: true,
    filters: () => ({ outcome: 'failure' }),
  },
  {
    name: 'request id (one event)',
    filtered: true,
    filters: (r, { events }) => ({ requestId: `req-${1 + Math.floor(r() * events)}` }),
  },
  {
    name: 'project (1 of 1,000)',
    filtered: true,
    filters: (r) => ({ projectId: `project-${Math.floor(r() * TRAIL_SHAPE.projects)}` }),
  },
  {
    name: 'environment (1 of 50, in half the trail)',
    filtered: true,
    filters: (r) => ({ environmentId: `environment-${Math.floor(r() * TRAIL_SHAPE.environments)}` }),
  },
  {
    name: 'text in details (one event)',
    filtered: true,
    filters: (r) => ({ text: `"index":${1 + Math.floor(r() * 1000)},` }),
  },
];

runBenchmark(async (teardown) => {
  const events = wholeNumber('events', options.events, 1_000, 20_000_000);
  const samples = wholeNumber('samples', options.samples, 10, 100_000);
  const take = wholeNumber('take', options.take, 1, 500);

  const { node, dataSource } = await startAuditBenchNode(teardown);
  const now = new Date();
  progress(`seeding ${events.toLocaleString('en')} events`);
  const seedRate = await seedAuditTrail(dataSource, events, now, (stored) =>
    progress(`  ${stored.toLocaleString('en')} stored`),
  );

  const api = await BenchApi.signIn(node.baseUrl, node);
  const token = await api.token(node);
  const page = async (filters: Filters): Promise<EventPage> => {
    const query = new URLSearchParams({ ...filters, take: String(take) });
    const response = await fetch(`${node.baseUrl}/api/events?${query.toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status !== 200) throw new Error(`GET /api/events?${query.toString()}: ${response.status}`);
    return (await response.json()) as EventPage;
  };

  let deepCursor = '';
  for (let walked = 0; walked < DEEP_PAGES; walked++)
    deepCursor = (await page({ after: deepCursor })).nextCursor ?? '';
  const context: QueryContext = { now, deepCursor, events };
  const random = seededRandom(29);
  progress('warming up: 10 queries of each kind');
  for (const kind of KINDS) for (let i = 0; i < 10; i++) await page(kind.filters(random, context));
  progress(`timing ${samples} queries of each kind, interleaved (load average ${loadavg()[0]?.toFixed(1)})`);
  const timings = new Map(KINDS.map((kind) => [kind.name, [] as number[]]));
  const returned = new Map(KINDS.map((kind) => [kind.name, [] as number[]]));
  for (let round = 0; round < samples; round++) {
    for (const kind of KINDS) {
      const filters = kind.filters(random, context);
      const started = process.hrtime.bigint();
      const answered = await page(filters);
      timings.get(kind.name)!.push(Number(process.hrtime.bigint() - started) / 1e6);
      returned.get(kind.name)!.push(answered.items.length);
    }
  }

  const rows = KINDS.map((kind) => {
    const summary = summarise(timings.get(kind.name)!);
    const counts = returned.get(kind.name)!;
    const meanReturned = (counts.reduce((sum, count) => sum + count, 0) / counts.length).toFixed(1);
    return [kind.name, meanReturned, ms(summary.p50), ms(summary.p99), ms(summary.max)];
  });
  process.stdout.write(
    `\nGET /api/events on a trail of ${events.toLocaleString('en')} events (PostgreSQL, one node), ` +
      `${take} per page, ${samples} of each kind, load average ${loadavg()[0]?.toFixed(1)}\n\n` +
      formatTable(['query', 'events returned (mean)', 'p50', 'p99', 'max'], rows) +
      `\n\nseeded at ${Math.round(seedRate).toLocaleString('en')} events/s (SQL, unchained)\n`,
  );
  const worst = Math.max(
    ...KINDS.filter((kind) => kind.filtered).map((kind) => summarise(timings.get(kind.name)!).p99),
  );
  return printVerdicts([
    {
      target: `every filtered page p99 < ${TARGET_P99_MS} ms`,
      measured: `worst p99 ${ms(worst)}`,
      passed: worst < TARGET_P99_MS,
    },
  ]);
});
