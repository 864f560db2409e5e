import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { formatMasterKey, generateMasterKey } from './master-key';
import { MasterKeyError } from './master-key-error';
import {
  ensureMasterKeyFile,
  loadMasterKeyring,
  masterKeyOnlyForOrchestrator,
  readMasterKeyFile,
  writeMasterKeyFile,
} from './master-key-source';
import { MasterKeyring } from './master-keyring';

const folder = () => mkdtempSync(join(tmpdir(), 'flotilla-secrets-'));

describe(MasterKeyring.name, () => {
  const key = generateMasterKey();
  const sut = MasterKeyring.of(key);

  it('seals with a fresh nonce each time into a self-describing envelope, and opens it again', () => {
    const first = sut.seal('p@ss word', 'place-a');
    const second = sut.seal('p@ss word', 'place-a');
    expect(first).toMatch(new RegExp(`^enc:v1:${key.id}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$`));
    expect(first).not.toEqual(second);
    expect(first).not.toContain('p@ss');
    expect(sut.open(first, 'place-a')).toBe('p@ss word');
    expect(MasterKeyring.keyIdOf(first)).toBe(key.id);
  });

  it('refuses a value moved to another place (associated data) or altered', () => {
    const sealed = sut.seal('secret', 'place-a');
    expect(() => sut.open(sealed, 'place-b')).toThrow(/does not authenticate/);
    const altered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => sut.open(altered, 'place-a')).toThrow(/does not authenticate|not a sealed value/);
  });

  it('names the key it does not hold', () => {
    const sealed = MasterKeyring.of(generateMasterKey()).seal('secret', 'x');
    expect(() => sut.open(sealed, 'x')).toThrow(MasterKeyError);
    expect(() => sut.open(sealed, 'x')).toThrow(/does not hold/);
  });

  it('opens under any held key and seals under the first', () => {
    const newer = generateMasterKey();
    const both = MasterKeyring.of(newer, key);
    expect(both.open(sut.seal('old', 'x'), 'x')).toBe('old');
    expect(MasterKeyring.keyIdOf(both.seal('new', 'x'))).toBe(newer.id);
  });
});

describe(loadMasterKeyring.name, () => {
  it('says what to do when no key is configured', () => {
    expect(() => loadMasterKeyring({})).toThrow(
      /No master key: set FLOTILLA_MASTER_KEY .*FLOTILLA_MASTER_KEY_FILE/,
    );
  });

  it('refuses a key that is not base64 of 32 bytes', () => {
    expect(() => loadMasterKeyring({ FLOTILLA_MASTER_KEY: 'c2hvcnQ=' })).toThrow(/holds 5 bytes/);
    expect(() => loadMasterKeyring({ FLOTILLA_MASTER_KEY: 'not base64!' })).toThrow(
      /openssl rand -base64 32/,
    );
  });

  it('reads a key from the environment', () => {
    const key = generateMasterKey();
    expect(loadMasterKeyring({ FLOTILLA_MASTER_KEY: formatMasterKey(key) }).sealingKey.id).toBe(key.id);
  });

  it('refuses a missing key file and one others can read', () => {
    const dir = folder();
    expect(() => loadMasterKeyring({ FLOTILLA_MASTER_KEY_FILE: join(dir, 'none') })).toThrow(
      /does not exist/,
    );
    const open = join(dir, 'open.key');
    writeFileSync(open, formatMasterKey(generateMasterKey()), { mode: 0o644 });
    expect(() => loadMasterKeyring({ FLOTILLA_MASTER_KEY_FILE: open })).toThrow(/chmod 600/);
  });

  it('notices a key file replaced by a rotation without a restart', async () => {
    const path = join(folder(), 'master.key');
    const old = generateMasterKey();
    writeMasterKeyFile(path, [old]);
    const sut = loadMasterKeyring({ FLOTILLA_MASTER_KEY_FILE: path });
    const sealedUnderOld = sut.seal('v', 'x');
    const next = generateMasterKey();
    writeMasterKeyFile(path, [next, old]);
    // A value under a key it does not hold yet makes it read the file at once...
    expect(sut.open(MasterKeyring.of(next).seal('w', 'x'), 'x')).toBe('w');
    // ...and sealing follows the file's first key.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(MasterKeyring.keyIdOf(sut.seal('v', 'x'))).toBe(next.id);
    expect(sut.open(sealedUnderOld, 'x')).toBe('v');
  });
});

describe(ensureMasterKeyFile.name, () => {
  it('makes a 0600 key file once and keeps it afterwards', () => {
    const path = join(folder(), 'data', 'master.key');
    expect(ensureMasterKeyFile(path)).toEqual({ path, created: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const [key] = readMasterKeyFile(path);
    expect(ensureMasterKeyFile(path)).toEqual({ path, created: false });
    expect(readMasterKeyFile(path)[0]?.id).toBe(key?.id);
  });
});

describe(masterKeyOnlyForOrchestrator.name, () => {
  it('leaves the key out of the environment of every other service', () => {
    const env = { FLOTILLA_MASTER_KEY: 'k', FLOTILLA_MASTER_KEY_FILE: '/f', PATH: '/bin' };
    expect(masterKeyOnlyForOrchestrator('task-orchestrator', env)).toEqual(env);
    for (const service of ['deployment-executor', 'gateway', 'auth', 'audit', 'artifact-store'])
      expect(masterKeyOnlyForOrchestrator(service, env)).toEqual({ PATH: '/bin' });
  });
});
