import { NODE_SERVICES } from '@flotilla/cluster/protocol';

import { serviceEnvironment } from './service-environment';

describe(serviceEnvironment.name, () => {
  const env = {
    PATH: '/bin',
    FLOTILLA_DB_URL: 'postgres://x',
    FLOTILLA_MASTER_KEY_FILE: '/data/master.key',
    FLOTILLA_ADMIN_PASSWORD: 'chosen-by-someone',
    FLOTILLA_ADMIN_PASSWORD_GENERATED: 'true',
  };

  it('gives the admin password to auth alone and the master key to the orchestrator alone', () => {
    const holders = NODE_SERVICES.map((service) => {
      const got = serviceEnvironment(service, env);
      return {
        service,
        adminPassword: 'FLOTILLA_ADMIN_PASSWORD' in got,
        generated: 'FLOTILLA_ADMIN_PASSWORD_GENERATED' in got,
        masterKey: 'FLOTILLA_MASTER_KEY_FILE' in got,
        database: got['FLOTILLA_DB_URL'] === env.FLOTILLA_DB_URL,
      };
    });
    expect(holders).toEqual(
      NODE_SERVICES.map((service) => ({
        service,
        adminPassword: service === 'auth',
        generated: service === 'auth',
        masterKey: service === 'task-orchestrator',
        database: true,
      })),
    );
  });
});
