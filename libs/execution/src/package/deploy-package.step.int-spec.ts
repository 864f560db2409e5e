import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { orchestratorV1 } from '@flotilla/contracts';
import { buildTarGz, buildZip } from '@flotilla/testing';

import { startArtifactStoreDouble, StoredPackage } from '../test-support/artifact-store-double';
import { readLogLines, stepContext, testPlan } from '../test-support/step-harness';
import { DeployPackageStep, installationDirectoryVariable } from './deploy-package.step';
import { UnpackLimits } from './unpack-limits';

const MiB = 1024 * 1024;
const generousLimits: UnpackLimits = { maxUnpackedBytes: 64 * MiB, maxArchiveEntries: 1000 };

const step: orchestratorV1.DeploymentStep = {
  name: 'Web',
  actionType: 'deploy-package',
  properties: { packageId: 'webapp' },
};

function planFor(releaseVersion: string, packageVersion: string): orchestratorV1.TaskPlan {
  return testPlan({
    releaseVersion,
    steps: [step],
    packages: [{ stepName: 'Web', packageId: 'webapp', version: packageVersion }],
  });
}

describe(DeployPackageStep.name, () => {
  let folder: string;
  let deployRoot: string;
  let logPath: string;
  const packages: StoredPackage[] = [];
  let artifacts: Awaited<ReturnType<typeof startArtifactStoreDouble>>;
  let sut: DeployPackageStep;

  beforeAll(async () => {
    artifacts = await startArtifactStoreDouble(packages);
  });

  afterAll(() => artifacts.stop());

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-deploy-'));
    deployRoot = join(folder, 'deployments');
    logPath = join(folder, 'task.log');
    packages.length = 0;
    sut = new DeployPackageStep(artifacts.source, { deployRoot, limits: generousLimits });
  });

  afterEach(() => rm(folder, { recursive: true, force: true }));

  async function deploy(plan: orchestratorV1.TaskPlan) {
    const { context, log } = await stepContext(logPath, step, plan);
    const outcome = await sut
      .run(context)
      .catch((error: Error) => ({ kind: 'thrown' as const, message: error.message }));
    await log.close();
    return { outcome, variables: context.variables };
  }

  const environmentDir = () => join(deployRoot, 'web-shop', 'production');

  it('extracts a zip into releases/<version>, points current at it and sets the installation path', async () => {
    packages.push({
      packageId: 'webapp',
      version: '1.0.0',
      format: 'zip',
      content: buildZip([
        { name: 'index.html', content: 'v1' },
        { name: 'bin/run.sh', content: 'echo' },
      ]),
    });
    const { outcome, variables } = await deploy(planFor('2024.1', '1.0.0'));
    expect(outcome).toEqual({ kind: 'success' });
    const release = join(environmentDir(), 'releases', '2024.1');
    await expect(readFile(join(release, 'index.html'), 'utf8')).resolves.toBe('v1');
    await expect(readFile(join(release, 'bin', 'run.sh'), 'utf8')).resolves.toBe('echo');
    await expect(readlink(join(environmentDir(), 'current'))).resolves.toBe(join('releases', '2024.1'));
    expect(variables.get(installationDirectoryVariable('Web'))).toBe(release);
    // Nothing but the release is left in releases/ (no staging folder).
    await expect(readdir(join(environmentDir(), 'releases'))).resolves.toEqual(['2024.1']);
  });

  it('switches current to a second release and keeps the first', async () => {
    packages.push(
      {
        packageId: 'webapp',
        version: '1.0.0',
        format: 'zip',
        content: buildZip([{ name: 'index.html', content: 'v1' }]),
      },
      {
        packageId: 'webapp',
        version: '2.0.0',
        format: 'tar.gz',
        content: buildTarGz([{ name: 'index.html', content: 'v2' }]),
      },
    );
    await deploy(planFor('2024.1', '1.0.0'));
    const { outcome } = await deploy(planFor('2024.2', '2.0.0'));
    expect(outcome).toEqual({ kind: 'success' });
    await expect(readFile(join(environmentDir(), 'current', 'index.html'), 'utf8')).resolves.toBe('v2');
    await expect(realpath(join(environmentDir(), 'current'))).resolves.toBe(
      await realpath(join(environmentDir(), 'releases', '2024.2')),
    );
    await expect(readFile(join(environmentDir(), 'releases', '2024.1', 'index.html'), 'utf8')).resolves.toBe(
      'v1',
    );
    expect((await readdir(environmentDir())).sort()).toEqual(['current', 'releases']);
  });

  it('replaces a release folder left by an earlier attempt', async () => {
    packages.push({
      packageId: 'webapp',
      version: '1.0.0',
      format: 'zip',
      content: buildZip([{ name: 'new.txt', content: 'new' }]),
    });
    await deploy(planFor('2024.1', '1.0.0'));
    packages[0].content = buildZip([{ name: 'other.txt', content: 'x' }]);
    await deploy(planFor('2024.1', '1.0.0'));
    await expect(readdir(join(environmentDir(), 'releases', '2024.1'))).resolves.toEqual(['other.txt']);
  });

  it('refuses a zip with a ../ entry, writing nothing outside and leaving no half release', async () => {
    packages.push({
      packageId: 'webapp',
      version: '6.6.6',
      format: 'zip',
      content: buildZip([
        { name: 'ok.txt', content: 'fine' },
        { name: '../escape.txt', content: 'pwned' },
      ]),
    });
    const { outcome } = await deploy(planFor('2024.6', '6.6.6'));
    expect(outcome).toEqual({
      kind: 'thrown',
      message: 'unsafe entry ../escape.txt in package webapp 6.6.6 (parent-folder segment)',
    });
    const releases = join(environmentDir(), 'releases');
    expect(existsSync(join(releases, 'escape.txt'))).toBe(false);
    expect(existsSync(join(environmentDir(), 'escape.txt'))).toBe(false);
    await expect(readdir(releases)).resolves.toEqual([]);
    expect(existsSync(join(environmentDir(), 'current'))).toBe(false);
  });

  it('refuses a tar.gz with an absolute or ../ entry', async () => {
    packages.push({
      packageId: 'webapp',
      version: '6.6.7',
      format: 'tar.gz',
      content: buildTarGz([
        { name: 'ok.txt', content: 'fine' },
        { name: '../../escape.txt', content: 'pwned' },
      ]),
    });
    const { outcome } = await deploy(planFor('2024.7', '6.6.7'));
    expect(outcome.kind).toBe('thrown');
    expect(outcome).toHaveProperty(
      'message',
      expect.stringContaining('unsafe entry ../../escape.txt in package webapp 6.6.7'),
    );
    expect(existsSync(join(deployRoot, 'web-shop', 'escape.txt'))).toBe(false);
    await expect(readdir(join(environmentDir(), 'releases'))).resolves.toEqual([]);
  });

  it('refuses a package whose content does not match its sha256', async () => {
    packages.push({
      packageId: 'webapp',
      version: '1.0.1',
      format: 'zip',
      content: buildZip([{ name: 'index.html', content: 'tampered' }]),
      sha256: 'a'.repeat(64),
    });
    const { outcome } = await deploy(planFor('2024.3', '1.0.1'));
    expect(outcome.kind).toBe('thrown');
    expect(outcome).toHaveProperty(
      'message',
      expect.stringContaining('failed its integrity check: expected sha256 aaaa'),
    );
    expect(existsSync(join(environmentDir(), 'releases'))).toBe(false);
  });

  it('fails clearly when the release has no package for the step', async () => {
    const { outcome } = await deploy(testPlan({ steps: [step], packages: [] }));
    expect(outcome).toEqual({
      kind: 'failed',
      message: 'Release 1.0.0 has no package for step Web (webapp)',
    });
  });

  it('finds the package by package id when no entry names the step', async () => {
    packages.push({
      packageId: 'webapp',
      version: '3.0.0',
      format: 'zip',
      content: buildZip([{ name: 'a.txt', content: 'a' }]),
    });
    const plan = testPlan({
      steps: [step],
      packages: [{ stepName: '', packageId: 'webapp', version: '3.0.0' }],
    });
    const { outcome } = await deploy(plan);
    expect(outcome).toEqual({ kind: 'success' });
    expect((await stat(join(environmentDir(), 'current', 'a.txt'))).isFile()).toBe(true);
    expect((await readLogLines(logPath)).map((line) => line.message)[0]).toBe(
      'Downloading package webapp 3.0.0',
    );
  });

  describe('archive limits', () => {
    const bombs = {
      zip: () => buildZip([{ name: 'zeros.bin', content: Buffer.alloc(64 * MiB) }], { deflate: true }),
      'tar.gz': () => buildTarGz([{ name: 'zeros.bin', content: Buffer.alloc(64 * MiB) }]),
    };

    /** The release folder and staging are gone, and current was never pointed anywhere. */
    async function expectNoRelease() {
      await expect(readdir(join(environmentDir(), 'releases'))).resolves.toEqual([]);
      expect(existsSync(join(environmentDir(), 'current'))).toBe(false);
    }

    it.each(['zip', 'tar.gz'] as const)(
      'fails a %s bomb (64 MiB of zeros) at a 16 MiB limit and removes the partial release',
      async (format) => {
        sut = new DeployPackageStep(artifacts.source, {
          deployRoot,
          limits: { ...generousLimits, maxUnpackedBytes: 16 * MiB },
        });
        const content = bombs[format]();
        expect(content.length).toBeLessThan(MiB);
        packages.push({ packageId: 'webapp', version: '6.6.8', format, content });
        const { outcome } = await deploy(planFor('2024.8', '6.6.8'));
        expect(outcome).toEqual({
          kind: 'thrown',
          message:
            'Package webapp 6.6.8 unpacks to more than 16 MiB (16777216 bytes), the limit for one package; ' +
            'set FLOTILLA_MAX_UNPACKED_BYTES to raise it',
        });
        await expectNoRelease();
      },
    );

    it.each(['zip', 'tar.gz'] as const)('fails a %s with more entries than the limit', async (format) => {
      sut = new DeployPackageStep(artifacts.source, {
        deployRoot,
        limits: { ...generousLimits, maxArchiveEntries: 5 },
      });
      const entries = Array.from({ length: 6 }, (_, index) => ({ name: `${index}.txt`, content: 'x' }));
      const content = format === 'zip' ? buildZip(entries) : buildTarGz(entries);
      packages.push({ packageId: 'webapp', version: '6.6.9', format, content });
      const { outcome } = await deploy(planFor('2024.9', '6.6.9'));
      expect(outcome).toEqual({
        kind: 'thrown',
        message:
          'Package webapp 6.6.9 has more than 5 entries, the limit for one package; ' +
          'set FLOTILLA_MAX_ARCHIVE_ENTRIES to raise it',
      });
      await expectNoRelease();
    });

    it.each([
      ['zip', 'symbolic link'],
      ['tar.gz', 'SymbolicLink entry'],
    ] as const)('refuses a %s whose symlink points out of the release (%s)', async (format, reason) => {
      const entries = [
        { name: 'ok.txt', content: 'fine' },
        { kind: 'symlink' as const, name: 'up', target: '../../..' },
        { name: 'up/pwned.txt', content: 'pwned' },
      ];
      const content = format === 'zip' ? buildZip(entries) : buildTarGz(entries);
      packages.push({ packageId: 'webapp', version: '6.7.0', format, content });
      const { outcome } = await deploy(planFor('2024.10', '6.7.0'));
      expect(outcome).toEqual({
        kind: 'thrown',
        message: `unsafe entry up in package webapp 6.7.0 (${reason})`,
      });
      expect(existsSync(join(environmentDir(), 'pwned.txt'))).toBe(false);
      expect(existsSync(join(deployRoot, 'web-shop', 'pwned.txt'))).toBe(false);
      await expectNoRelease();
    });
  });
});
