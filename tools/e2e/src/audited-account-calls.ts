import { ANONYMOUS, ExpectedActor } from './audit-trail-probe';
import {
  asAdmin,
  AuditedCall,
  AuditWorld,
  byAdmin,
  Identified,
  succeeded,
  unique,
} from './audited-call-support';
import { call } from './rest-client';

/**
 * The audited calls on accounts: users and their sign-in (with its failures and lockout, which
 * must be on record too), teams, API keys and directory diagnostics.
 */

const PASSWORD = 'Audit-password-0001';

/** A local user with no role: the subject of the user routes, or a user signing in for themselves. */
async function newUser(w: AuditWorld): Promise<ExpectedActor> {
  const name = unique('audit-user');
  const user = await asAdmin<Identified>(w, 'POST', '/api/users', {
    username: name,
    displayName: name,
    password: PASSWORD,
    roles: [],
  });
  return { id: user.id, name };
}

const newTeam = (w: AuditWorld) =>
  asAdmin<Identified>(w, 'POST', '/api/teams', { name: unique('Audit team'), members: [], grants: [] });

/** A password sign-in: 200 with a token, or the refusal's status. */
const signIn = (w: AuditWorld, username: string, password: string) =>
  call<{ token: string }>(w.baseUrl, 'POST', '/api/users/login', undefined, { username, password });

export const ACCOUNT_CALLS: readonly AuditedCall[] = [
  {
    route: 'POST /api/users/login',
    perform: async (w) => {
      const user = await newUser(w);
      await succeeded(signIn(w, user.name, PASSWORD), `sign-in of ${user.name}`);
      return [{ action: 'user.login', resourceId: user.id, actor: user }];
    },
  },
  {
    route: 'POST /api/users/login',
    variant: 'a wrong password',
    perform: async (w) => {
      const user = await newUser(w);
      const refused = await signIn(w, user.name, 'not-the-password-0001');
      if (refused.status !== 401) throw new Error(`a wrong password: ${refused.status}, not 401`);
      // Nobody is proven yet: the attempt is the typed name's, by an anonymous caller.
      return [{ action: 'user.login-failed', resourceId: user.name, actor: ANONYMOUS }];
    },
  },
  {
    route: 'POST /api/users/login',
    variant: 'the failure that locks the account out',
    perform: async (w) => {
      const user = await newUser(w);
      for (let attempt = 1; attempt <= w.failuresToLockOut; attempt++) {
        const refused = await signIn(w, user.name, `wrong-password-000${attempt}`);
        if (refused.status !== 401) throw new Error(`wrong password ${attempt}: ${refused.status}, not 401`);
      }
      const locked = await signIn(w, user.name, PASSWORD);
      if (locked.status !== 429) throw new Error(`after the lockout: ${locked.status}, not 429`);
      return [{ action: 'user.login-locked-out', resourceId: user.id, actor: ANONYMOUS }];
    },
  },
  {
    route: 'POST /api/users/password',
    perform: async (w) => {
      const user = await newUser(w);
      const body = { username: user.name, currentPassword: PASSWORD, newPassword: 'Audit-password-0002' };
      await succeeded(call(w.baseUrl, 'POST', '/api/users/password', undefined, body), 'password change');
      return [{ action: 'user.password-changed', resourceId: user.id, actor: user }];
    },
  },
  {
    route: 'POST /api/users/password',
    variant: 'a wrong current password',
    perform: async (w) => {
      const user = await newUser(w);
      const body = {
        username: user.name,
        currentPassword: 'not-the-password-1',
        newPassword: 'Audit-pw-0003',
      };
      const refused = await call(w.baseUrl, 'POST', '/api/users/password', undefined, body);
      if (refused.status !== 401) throw new Error(`a wrong current password: ${refused.status}, not 401`);
      return [{ action: 'user.password-change-failed', resourceId: user.name, actor: ANONYMOUS }];
    },
  },
  {
    route: 'POST /api/users/logout',
    perform: async (w) => {
      const user = await newUser(w);
      const session = await succeeded(signIn(w, user.name, PASSWORD), `sign-in of ${user.name}`);
      await succeeded(call(w.baseUrl, 'POST', '/api/users/logout', session.token), 'sign-out');
      return [{ action: 'user.logout', resourceId: user.id, actor: user }];
    },
  },
  {
    route: 'POST /api/users',
    perform: async (w) => [byAdmin(w, 'user.created', (await newUser(w)).id)],
  },
  {
    route: 'POST /api/users/:id/disable',
    perform: async (w) => {
      const user = await newUser(w);
      await asAdmin(w, 'POST', `/api/users/${user.id}/disable`);
      return [byAdmin(w, 'user.disabled', user.id)];
    },
  },
  {
    route: 'POST /api/users/:id/enable',
    perform: async (w) => {
      const user = await newUser(w);
      await asAdmin(w, 'POST', `/api/users/${user.id}/disable`);
      await asAdmin(w, 'POST', `/api/users/${user.id}/enable`);
      return [byAdmin(w, 'user.enabled', user.id)];
    },
  },
  {
    route: 'POST /api/users/:id/sessions/revoke',
    perform: async (w) => {
      const user = await newUser(w);
      await succeeded(signIn(w, user.name, PASSWORD), `sign-in of ${user.name}`);
      await asAdmin(w, 'POST', `/api/users/${user.id}/sessions/revoke`);
      return [byAdmin(w, 'user.sessions-revoked', user.id)];
    },
  },
  {
    route: 'POST /api/users/:id/password/reset',
    perform: async (w) => {
      const user = await newUser(w);
      await asAdmin(w, 'POST', `/api/users/${user.id}/password/reset`, {
        newPassword: 'Audit-password-0004',
      });
      return [byAdmin(w, 'user.password-reset', user.id)];
    },
  },
  {
    route: 'POST /api/teams',
    perform: async (w) => [byAdmin(w, 'team.created', (await newTeam(w)).id)],
  },
  {
    route: 'PUT /api/teams/:id',
    perform: async (w) => {
      const team = await newTeam(w);
      await asAdmin(w, 'PUT', `/api/teams/${team.id}`, {
        name: unique('Audit team'),
        members: [],
        grants: [],
      });
      return [byAdmin(w, 'team.updated', team.id)];
    },
  },
  {
    route: 'DELETE /api/teams/:id',
    perform: async (w) => {
      const team = await newTeam(w);
      await asAdmin(w, 'DELETE', `/api/teams/${team.id}`);
      return [byAdmin(w, 'team.deleted', team.id)];
    },
  },
  {
    route: 'POST /api/apikeys',
    perform: async (w) => {
      const created = await asAdmin<{ key: Identified }>(w, 'POST', '/api/apikeys', { purpose: 'audit' });
      // Its secret is shown once, in this answer: the event is the record of that reveal.
      return [byAdmin(w, 'api-key.created', created.key.id)];
    },
  },
  {
    route: 'DELETE /api/apikeys/:id',
    perform: async (w) => {
      const created = await asAdmin<{ key: Identified }>(w, 'POST', '/api/apikeys', { purpose: 'doomed' });
      await asAdmin(w, 'DELETE', `/api/apikeys/${created.key.id}`);
      return [byAdmin(w, 'api-key.revoked', created.key.id)];
    },
  },
  {
    route: 'POST /api/directory/diagnostics',
    perform: async (w) => {
      // No directory is configured: the diagnosis says so, and the run is still audited by name.
      const name = unique('audit-nobody');
      await asAdmin(w, 'POST', '/api/directory/diagnostics', { name });
      return [byAdmin(w, 'directory.sign-in-diagnosed', name)];
    },
  },
];
