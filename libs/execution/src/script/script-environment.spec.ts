import { scriptEnvironment } from './script-environment';

describe(scriptEnvironment.name, () => {
  const executorEnvironment: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    LANG: 'en_GB.UTF-8',
    HOME: '/root',
    FLOTILLA_DB_URL: 'postgres://flotilla:secret@db/flotilla',
    FLOTILLA_ADMIN_PASSWORD: 'admin-secret',
    FLOTILLA_PKI_DIR: '/data/pki',
    FLOTILLA_MASTER_KEY: 'a2V5',
    DATABASE_URL: 'postgres://other',
    NODE_OPTIONS: '--require something',
    SSH_AUTH_SOCK: '/tmp/agent',
  };

  it('takes PATH and LANG from the executor and nothing else of its environment', () => {
    const env = scriptEnvironment({
      home: '/tmp/step/home',
      tmp: '/tmp/step/tmp',
      user: 'flotilla-script',
      variables: { 'App.Port': '8080', APP_PORT: '8080' },
      substitutions: { __VALUE_1: '8080' },
      inherited: executorEnvironment,
    });
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      LANG: 'en_GB.UTF-8',
      'App.Port': '8080',
      APP_PORT: '8080',
      __VALUE_1: '8080',
      HOME: '/tmp/step/home',
      TMPDIR: '/tmp/step/tmp',
      USER: 'flotilla-script',
      LOGNAME: 'flotilla-script',
    });
    const values = Object.values(env).join('\n');
    for (const name of [
      'FLOTILLA_DB_URL',
      'FLOTILLA_ADMIN_PASSWORD',
      'FLOTILLA_PKI_DIR',
      'FLOTILLA_MASTER_KEY',
    ])
      expect(values).not.toContain(executorEnvironment[name]);
  });

  it('hands over the variables the operator names, but never a FLOTILLA_* one', () => {
    const env = scriptEnvironment({
      home: '/h',
      tmp: '/t',
      user: 'u',
      variables: {},
      substitutions: {},
      inherited: { ...executorEnvironment, CLUSTER_NODE_NAME: 'node-2' },
      passed: ['CLUSTER_NODE_NAME', 'FLOTILLA_DB_URL', 'NOT_SET'],
    });
    expect(env['CLUSTER_NODE_NAME']).toBe('node-2');
    expect(Object.keys(env)).not.toContain('FLOTILLA_DB_URL');
    expect(Object.keys(env)).not.toContain('NOT_SET');
  });

  it('lets the deployment set PATH, but never its HOME, TMPDIR or USER', () => {
    const env = scriptEnvironment({
      home: '/h',
      tmp: '/t',
      user: 'u',
      variables: { PATH: '/opt/tool/bin', HOME: '/root', TMPDIR: '/', USER: 'root' },
      substitutions: {},
      inherited: {},
    });
    expect(env).toMatchObject({
      PATH: '/opt/tool/bin',
      HOME: '/h',
      TMPDIR: '/t',
      USER: 'u',
      LANG: 'C.UTF-8',
    });
  });
});
