import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describeScriptFence, prepareScriptFence, scriptFenceSettingsFromEnv } from './script-fence';

const mode = (path: string) => statSync(path).mode & 0o777;

describe(prepareScriptFence.name, () => {
  let data: string;
  beforeEach(() => {
    data = mkdtempSync(join(tmpdir(), 'flotilla-fence-'));
  });
  afterEach(() => rmSync(data, { recursive: true, force: true }));

  it('closes shared storage to others and lets scripts reach (not list) the way to the deploy root', async () => {
    const shared = join(data, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    chmodSync(data, 0o700);
    const fence = await prepareScriptFence(
      { scriptUser: 'flotilla-script' },
      { deployRoot: join(data, 'deployments'), sharedStorage: shared },
      (user) => Promise.resolve({ fenced: true, user, uid: 990, gid: 990, created: false }),
    );
    expect(fence.state).toBe('fenced');
    expect(mode(shared)).toBe(0o700);
    expect(mode(data)).toBe(0o701);
    expect(mode(join(data, 'deployments')) & 0o005).toBe(0o005);
    expect(fence.notes.join('\n')).toContain(`closed ${shared} to other users`);
  });

  it('touches no folder when scripts are not fenced, and says why', async () => {
    chmodSync(data, 0o700);
    const fence = await prepareScriptFence(
      { scriptUser: 'flotilla-script' },
      { deployRoot: join(data, 'deployments'), sharedStorage: join(data, 'shared') },
      () => Promise.resolve({ fenced: false, user: 'app', uid: 1000, reason: 'not root' }),
    );
    expect(mode(data)).toBe(0o700);
    expect(describeScriptFence(fence)).toBe('Scripts are NOT fenced: not root');
  });

  it('is unusable (scripts do not run) when the user cannot be had as root', async () => {
    const fence = await prepareScriptFence(
      { scriptUser: 'flotilla-script' },
      { deployRoot: join(data, 'deployments'), sharedStorage: join(data, 'shared') },
      () => Promise.reject(new Error('useradd: command not found')),
    );
    expect(describeScriptFence(fence)).toBe(
      'Scripts will not run: scripts cannot run fenced as flotilla-script: useradd: command not found',
    );
  });
});

describe(scriptFenceSettingsFromEnv.name, () => {
  it('has defaults and reads the user and caps', () => {
    expect(scriptFenceSettingsFromEnv({})).toEqual({
      scriptUser: 'flotilla-script',
      outputLimits: { maxLineChars: 16384, maxTotalBytes: 52428800 },
      passEnvironment: [],
    });
    expect(
      scriptFenceSettingsFromEnv({
        FLOTILLA_SCRIPT_USER: 'deployer',
        FLOTILLA_TASK_OUTPUT_MAX_LINE_CHARS: '100',
        FLOTILLA_TASK_OUTPUT_MAX_BYTES: '2000',
        FLOTILLA_SCRIPT_PASS_ENV: ' CLUSTER_NODE_NAME, RACK ',
      }),
    ).toEqual({
      scriptUser: 'deployer',
      outputLimits: { maxLineChars: 100, maxTotalBytes: 2000 },
      passEnvironment: ['CLUSTER_NODE_NAME', 'RACK'],
    });
    expect(() => scriptFenceSettingsFromEnv({ FLOTILLA_SCRIPT_PASS_ENV: 'RACK,flotilla_db_url' })).toThrow(
      'FLOTILLA_SCRIPT_PASS_ENV may not hand scripts flotilla_db_url',
    );
    expect(() => scriptFenceSettingsFromEnv({ FLOTILLA_TASK_OUTPUT_MAX_BYTES: 'lots' })).toThrow(
      'FLOTILLA_TASK_OUTPUT_MAX_BYTES must be a positive whole number',
    );
  });
});
