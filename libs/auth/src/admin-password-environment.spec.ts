import { adminPasswordOnlyForAuth, adminPasswordWasGenerated } from './admin-password-environment';

describe(adminPasswordOnlyForAuth.name, () => {
  const env = { FLOTILLA_ADMIN_PASSWORD: 'p', FLOTILLA_ADMIN_PASSWORD_GENERATED: 'true', PATH: '/bin' };

  it('gives the admin password and its origin to auth', () => {
    expect(adminPasswordOnlyForAuth('auth', env)).toEqual(env);
  });

  it('leaves both out of the environment of every other service', () => {
    for (const service of ['gateway', 'task-orchestrator', 'deployment-executor', 'audit', 'artifact-store'])
      expect(adminPasswordOnlyForAuth(service, env)).toEqual({ PATH: '/bin' });
  });
});

describe(adminPasswordWasGenerated.name, () => {
  it('is true only for exactly "true"', () => {
    expect(adminPasswordWasGenerated({ FLOTILLA_ADMIN_PASSWORD_GENERATED: 'true' })).toBe(true);
    for (const value of [undefined, '', 'false', '1', 'TRUE'])
      expect(adminPasswordWasGenerated({ FLOTILLA_ADMIN_PASSWORD_GENERATED: value })).toBe(false);
  });
});
