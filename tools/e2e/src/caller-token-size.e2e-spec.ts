import { randomUUID } from 'node:crypto';

import { MAX_CALLER_TOKEN_SCOPE_IDS } from '@flotilla/platform/grpc';
import { eventually, FlotillaNode, startFlotillaNode } from '@flotilla/testing';
import { Client } from 'pg';

import { call, signIn } from './rest-client';

interface Identified {
  id: string;
}

/** A team grant names at most 500 projects (TEAM_GRANT_MAX_SCOPE_IDS): wider scopes take several grants. */
const GRANT_IDS = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}

/**
 * The signed caller token of a user whose teams are scoped to a thousand projects, on a real node
 * (all six services, PostgreSQL): every call the gateway makes for them carries the whole scope.
 * Five projects exist; the scope names 995 more that do not (the teams API takes any id, as a
 * project may be deleted after a team names it). Teams that would take a member beyond the token's
 * bound are refused when saved; a member taken beyond it by the directory is refused by the gateway
 * with the account's numbers, not a downstream failure.
 */
describe('caller tokens of users with wide team scopes (single node)', () => {
  let node: FlotillaNode;
  let base: string;
  let admin: string;
  let inScope: Identified[];
  let outOfScope: Identified;

  const createUser = async (username: string): Promise<Identified> => {
    const reply = await call<Identified>(base, 'POST', '/api/users', admin, {
      username,
      displayName: username,
      password: `${username} password 123`,
      roles: [],
    });
    if (reply.status !== 201) throw new Error(`POST /api/users ${username}: ${reply.status}`);
    return reply.body;
  };

  /** A team of `member` granting Deployer on `projectIds`, 500 ids a grant, and Auditor on the same. */
  const postTeam = (
    name: string,
    member: { kind: 'user' | 'group'; id: string },
    projectIds: readonly string[],
  ) =>
    call<{ message?: string }>(base, 'POST', '/api/teams', admin, {
      name,
      members: [member],
      grants: chunks(projectIds, GRANT_IDS).flatMap((ids) => [
        { role: 'Deployer', projectIds: ids },
        // The same lists again under another role: the token writes each id once.
        { role: 'Auditor', projectIds: ids },
      ]),
    });
  const createTeam = async (name: string, member: Identified, projectIds: readonly string[]) => {
    const reply = await postTeam(name, { kind: 'user', id: member.id }, projectIds);
    if (reply.status !== 201)
      throw new Error(`POST /api/teams ${name}: ${reply.status} ${reply.body.message}`);
  };

  beforeAll(async () => {
    // Generous: a busy machine can take minutes to start the node's services.
    node = await startFlotillaNode({ startTimeoutMs: 480_000 });
    base = node.baseUrl;
    admin = await signIn(base, node.adminUsername, node.adminPassword);
    const createProject = async (name: string) => {
      const reply = await call<Identified>(base, 'POST', '/api/projects', admin, { name });
      if (reply.status !== 201) throw new Error(`POST /api/projects ${name}: ${reply.status}`);
      return reply.body;
    };
    inScope = [];
    for (const name of ['Shop', 'Billing', 'Search', 'Catalog', 'Payments'])
      inScope.push(await createProject(name));
    outOfScope = await createProject('Payroll');
  }, 720_000);

  afterAll(async () => {
    await node?.stop();
  });

  it('lets a user scoped to 1,000 projects list exactly the ones in scope', async () => {
    const member = await createUser('wide');
    const scope = [
      ...inScope.map((project) => project.id),
      ...Array.from({ length: 995 }, () => randomUUID()),
    ];
    await createTeam('Thousand projects', member, scope);
    const token = await signIn(base, 'wide', 'wide password 123');

    const me = await call<{ grants?: { projectIds?: string[] }[] }>(base, 'GET', '/api/users/me', token);
    expect(me.status).toBe(200);
    expect(new Set(me.body.grants?.flatMap((grant) => grant.projectIds ?? [])).size).toBe(1000);

    const projects = await call<{ items: { id: string; name: string }[] }>(
      base,
      'GET',
      '/api/projects',
      token,
    );
    expect(projects.status).toBe(200);
    expect(projects.body.items.map((project) => project.name).sort()).toEqual([
      'Billing',
      'Catalog',
      'Payments',
      'Search',
      'Shop',
    ]);
    // One project in scope read on its own (a second service call, the same kind of token).
    const shop = inScope[0];
    expect((await call(base, 'GET', `/api/projects/${shop.id}`, token)).status).toBe(200);
    // Out of scope it is as if missing.
    expect((await call(base, 'GET', `/api/projects/${outOfScope.id}`, token)).status).toBe(404);
  });

  it('refuses a user beyond the bound at the gateway with the numbers an administrator needs', async () => {
    const member = await createUser('too-wide');
    const beyond = MAX_CALLER_TOKEN_SCOPE_IDS + 100;
    const scope = [inScope[0].id, ...Array.from({ length: beyond - 1 }, () => randomUUID())];
    // One team naming them all is refused when it is saved.
    const tooWide = await call<{ message?: string }>(base, 'POST', '/api/teams', admin, {
      name: 'Too many projects in one team',
      members: [{ kind: 'user', id: member.id }],
      grants: chunks(scope, GRANT_IDS).map((ids) => ({ role: 'Deployer', projectIds: ids })),
    });
    expect(tooWide.status).toBe(400);
    expect(tooWide.body.message).toContain(
      `This team's grants name ${beyond} distinct projects and environments; a member's caller token carries at most ${MAX_CALLER_TOKEN_SCOPE_IDS}`,
    );
    const half = Math.ceil(beyond / 2 / GRANT_IDS) * GRANT_IDS;
    await createTeam('Many projects, first part', member, scope.slice(0, half));
    // Nor two teams that together take a member past the bound.
    const secondPart = await postTeam(
      'Many projects, second part',
      { kind: 'user', id: member.id },
      scope.slice(half),
    );
    expect(secondPart.status).toBe(400);
    expect(secondPart.body.message).toContain(
      `With this team, 1 user would reach more distinct projects and environments through their teams than a caller token carries (at most ${MAX_CALLER_TOKEN_SCOPE_IDS}), and be refused on every call: too-wide (${beyond})`,
    );
    // What no save can refuse: the user joins, in the directory, a group a team already names.
    // The sync (or their next sign-in) records it as below; here it is written straight away.
    const group = 'S-1-5-21-100-200-300-4242';
    expect(
      (await postTeam('Many projects, second part', { kind: 'group', id: group }, scope.slice(half))).status,
    ).toBe(201);
    const database = new Client({ connectionString: node.databaseUrl });
    await database.connect();
    try {
      await database.query('INSERT INTO directory_user_groups (user_id, group_id) VALUES ($1, $2)', [
        member.id,
        group,
      ]);
    } finally {
      await database.end();
    }
    const token = await signIn(base, 'too-wide', 'too-wide password 123');

    const expected = {
      statusCode: 403,
      error: 'Forbidden',
      message: expect.stringContaining(
        `This account's team grants list ${beyond} distinct projects and environments over ${2 * Math.ceil(beyond / GRANT_IDS)} scoped grants; the limit is ${MAX_CALLER_TOKEN_SCOPE_IDS}. An administrator can narrow`,
      ) as unknown,
    };
    const projects = await call(base, 'GET', '/api/projects', token);
    expect(projects).toEqual({ status: 403, body: expected });
    // The same on every route: the account cannot act until its scopes are narrowed.
    expect(await call(base, 'GET', '/api/users/me', token)).toEqual({ status: 403, body: expected });
    // The gateway logs the refusal as it answers; the line reaches the test's pipe a little later.
    const refusal = /Refused too-wide \([0-9a-f-]{36}\): This account's team grants list/;
    await eventually(
      () => Promise.resolve(refusal.test(node.output()) ? true : undefined),
      5000,
      'the logged refusal',
    );
    // The others are unaffected.
    expect((await call(base, 'GET', '/api/projects', admin)).status).toBe(200);
  });
});
