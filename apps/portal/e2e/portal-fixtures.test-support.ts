import { ApiClient, FlotillaNode } from '@flotilla/testing';

/** A local account a browser test signs in as. */
export interface LocalUser {
  username: string;
  password: string;
  displayName: string;
}

/** What the API answers for a created project, environment, team or user. */
export interface Identified {
  id: string;
}

/** An API client signed in as the node's administrator (the test fails here if that is refused). */
export async function adminApi(node: FlotillaNode): Promise<ApiClient> {
  const api = new ApiClient(node.baseUrl);
  expect((await api.login(node.adminUsername, node.adminPassword)).status).toBe(200);
  return api;
}

/** Creates each local account with its global roles (none: only what a team grants); answers their ids. */
export async function createLocalUsers(
  api: ApiClient,
  users: readonly (readonly [LocalUser, readonly string[]])[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const [user, roles] of users) {
    const created = await api.post<Identified>('/api/users', { ...user, roles });
    expect({ user: user.username, status: created.status }).toEqual({ user: user.username, status: 201 });
    ids.push(created.body.id);
  }
  return ids;
}

/** POSTs a named thing (a project, an environment) and answers its id; anything but 201 fails the test. */
export async function createNamed(api: ApiClient, path: string, name: string): Promise<Identified> {
  const created = await api.post<Identified>(path, { name });
  expect({ path, name, status: created.status }).toEqual({ path, name, status: 201 });
  return created.body;
}
