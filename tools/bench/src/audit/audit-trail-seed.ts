import type { DataSource } from 'typeorm';

/** What the seeded trail holds, so queries can ask for values that exist. */
export const TRAIL_SHAPE = {
  actors: Array.from({ length: 50 }, (_, i) => `User ${i + 1}`),
  /** One actor with few events (one in 100,000): a filter the index answers at once. */
  rareActor: 'Rare Auditor',
  actions: [
    'project.created',
    'project.modified',
    'project.deleted',
    'process.modified',
    'variables.modified',
    'release.created',
    'deployment.queued',
    'task.completed',
    'task.cancel-requested',
    'environment.created',
    'package.pushed',
    'package.deleted',
    'user.login',
    'user.login-failed',
    'user.logout',
    'api-key.created',
    'team.updated',
    'node.modified',
  ],
  resourceTypes: ['Project', 'Release', 'Deployment', 'ServerTask', 'Package', 'User'],
  resourceIdsPerType: 10_000,
  /** Client addresses 10.a.b.c: 200 of them, in 10.0.0.0/15. */
  clientAddresses: 200,
  /** Events spread evenly over this many days up to the seeding's start, oldest first. */
  days: 90,
  /** Every event concerns one of these projects ('project-0'…); every other one an environment too. */
  projects: 1_000,
  environments: 50,
  /** One event in this many is a failure (outcome filter); the rest succeeded. */
  failureEvery: 100,
};

const CHUNK = 100_000;

/**
 * A multiplicative hash of the row number, a different odd factor per column (an even one would
 * reach only half of a list: i * even mod 2^32 is even).
 */
const hash = (factor: number) => `((i::bigint * ${factor}) % 4294967296)`;

const sqlList = (values: readonly string[]) => `ARRAY[${values.map((value) => `'${value}'`).join(', ')}]`;

/**
 * Rows i = first..last of the trail, in one INSERT … SELECT (PostgreSQL). Written as the audit
 * service would store them but unchained (no sequence, no link): the benchmark measures the
 * reviewers' queries, which read neither; seeding through the chained insert would take minutes.
 * Columns: the client address and its key (query/address-key.ts: IPv4-mapped, 32 hex digits), and
 * the provenance the reviewers filter on (outcome, request id, project, environment).
 */
function seedSql(first: number, last: number, count: number, endMs: number, spanMs: number): string {
  const address = `(${hash(2246822519)} % ${TRAIL_SHAPE.clientAddresses})`;
  const octets = [`${address} / 100`, `${address} % 100`, `(${address} * 7) % 250`];
  const resourceType = `(${sqlList(TRAIL_SHAPE.resourceTypes)})[1 + ${hash(3266489917)} % ${TRAIL_SHAPE.resourceTypes.length}]`;
  // Whole milliseconds, as the audit service stores them (the keyset cursor is exact at that precision).
  const when = `to_timestamp(floor(${endMs - spanMs} + (i::float8 / ${count}) * ${spanMs}) / 1000.0)`;
  return `INSERT INTO audit_events (id, occurred_at, recorded_at, actor_id, actor_name, action, resource_type,
    resource_id, details, client_ip, client_ip_key, source, forwarded_for,
    outcome, request_id, project_id, environment_id, node_name, sign_in_method)
  SELECT gen_random_uuid()::text, ${when}, ${when},
    CASE WHEN i % 100000 = 7 THEN 'user-rare' ELSE 'user-' || (1 + ${hash(2654435761)} % 50) END,
    CASE WHEN i % 100000 = 7 THEN '${TRAIL_SHAPE.rareActor}' ELSE 'User ' || (1 + ${hash(2654435761)} % 50) END,
    (${sqlList(TRAIL_SHAPE.actions)})[1 + ${hash(374761393)} % ${TRAIL_SHAPE.actions.length}],
    ${resourceType},
    lower(${resourceType}) || '-' || (${hash(668265263)} % ${TRAIL_SHAPE.resourceIdsPerType}),
    '{"index":' || i || ',"note":"benchmark"}',
    '10.' || (${octets[0]}) || '.' || (${octets[1]}) || '.' || (${octets[2]}),
    '00000000000000000000ffff0a' || ${octets.map((octet) => `lpad(to_hex(${octet}), 2, '0')`).join(' || ')},
    'bench', '',
    CASE WHEN i % ${TRAIL_SHAPE.failureEvery} = 3 THEN 'failure' ELSE 'success' END,
    'req-' || i,
    'project-' || (${hash(2654435769)} % ${TRAIL_SHAPE.projects}),
    -- Hashed on i / 2: on even i alone an odd factor would reach only the even environments.
    CASE WHEN i % 2 = 0 THEN 'environment-' || ((((i / 2)::bigint * 2246822507) % 4294967296) % ${TRAIL_SHAPE.environments}) ELSE '' END,
    'node-' || (1 + i % 2), 'password'
  FROM generate_series(${first}, ${last}) AS i`;
}

/** Stores `count` events oldest first, ending at `end`; reports progress per 100,000. */
export async function seedAuditTrail(
  dataSource: DataSource,
  count: number,
  end: Date,
  onProgress: (stored: number) => void,
): Promise<number> {
  const spanMs = TRAIL_SHAPE.days * 86_400_000;
  const started = Date.now();
  for (let first = 1; first <= count; first += CHUNK) {
    const last = Math.min(count, first + CHUNK - 1);
    await dataSource.query(seedSql(first, last, count, end.getTime(), spanMs));
    onProgress(last);
  }
  // What autovacuum does to a table that grew: fresh statistics for the planner.
  await dataSource.query('VACUUM ANALYZE audit_events');
  return count / ((Date.now() - started) / 1000);
}
