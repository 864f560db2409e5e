import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { artifactsV1, orchestratorV1 } from '@flotilla/contracts';

import { PackageSource } from '../collaborators/package-source';
import { StepContext, StepExecutor, StepOutcome } from '../task-runner/step-executor';
import { downloadVerifiedPackage } from './package-download';
import { createStagingFolder, installRelease, releasePaths, switchCurrent } from './release-folder';
import { extractTarGz } from './tar-extractor';
import { UnpackLimits } from './unpack-limits';
import { extractZip } from './zip-extractor';

export interface DeployPackageOptions {
  deployRoot: string;
  /** Where downloads are kept while verified (the OS temp folder by default). */
  downloadRoot?: string;
  /** Required, so that no wiring can forget them and leave a node open to archive bombs. */
  limits: UnpackLimits;
}

export function installationDirectoryVariable(stepName: string): string {
  return `Flotilla.Package.${stepName}.InstallationDirectoryPath`;
}

/** The release's package for a step: the one named for the step, else the one with its package id. */
export function packageForStep(
  plan: orchestratorV1.TaskPlan,
  step: orchestratorV1.DeploymentStep,
): orchestratorV1.ReleasePackage | undefined {
  const packageId = step.properties['packageId'] ?? '';
  return (
    plan.packages.find((candidate) => candidate.stepName === step.name) ??
    plan.packages.find((candidate) => candidate.packageId === packageId)
  );
}

function archiveFormat(record: artifactsV1.Package): 'zip' | 'tar.gz' | undefined {
  if (record.format === 'zip' || record.format === 'tar.gz') return record.format;
  if (/\.zip$/i.test(record.fileName)) return 'zip';
  if (/\.(tar\.gz|tgz)$/i.test(record.fileName)) return 'tar.gz';
  return undefined;
}

/**
 * `deploy-package`: downloads the release's package, verifies it, extracts it into a staging
 * folder and only when all of it was safe and complete moves it into place as
 * releases/<version> and points `current` at it.
 */
export class DeployPackageStep implements StepExecutor {
  readonly actionType = 'deploy-package';

  constructor(
    private readonly source: PackageSource,
    private readonly options: DeployPackageOptions,
  ) {}

  restoreOutputs({ plan, step, variables }: Omit<StepContext, 'log' | 'signal'>): void {
    variables.set(
      installationDirectoryVariable(step.name),
      releasePaths(this.options.deployRoot, plan).releaseDir,
    );
  }

  async run({ plan, step, variables, log, signal }: StepContext): Promise<StepOutcome> {
    const releasePackage = packageForStep(plan, step);
    if (!releasePackage) {
      const packageId = step.properties['packageId'] ?? '';
      return {
        kind: 'failed',
        message: `Release ${plan.releaseVersion} has no package for step ${step.name} (${packageId})`,
      };
    }
    const label = `${releasePackage.packageId} ${releasePackage.version}`;
    const paths = releasePaths(this.options.deployRoot, plan);
    const workFolder = await mkdtemp(join(this.options.downloadRoot ?? tmpdir(), 'flotilla-package-'));
    let staging: string | undefined;
    try {
      log.info(`Downloading package ${label}`);
      const archive = join(workFolder, 'package');
      const record = await downloadVerifiedPackage(
        this.source,
        { packageId: releasePackage.packageId, version: releasePackage.version },
        archive,
        signal,
      );
      log.info(`Package ${label} verified (${record.sizeBytes} bytes, sha256 ${record.sha256})`);
      const format = archiveFormat(record);
      if (!format)
        return { kind: 'failed', message: `Package ${label} has an unsupported format "${record.format}"` };
      staging = await createStagingFolder(paths);
      const extract = format === 'zip' ? extractZip : extractTarGz;
      const files = await extract(archive, staging, {
        packageLabel: label,
        limits: this.options.limits,
        signal,
      });
      await installRelease(staging, paths);
      staging = undefined;
      log.info(`Extracted ${files} files to ${paths.releaseDir}`);
      await switchCurrent(paths);
      log.info(`${paths.currentLink} now points to ${paths.releaseDir}`);
      variables.set(installationDirectoryVariable(step.name), paths.releaseDir);
      return { kind: 'success' };
    } finally {
      if (staging) await rm(staging, { recursive: true, force: true });
      await rm(workFolder, { recursive: true, force: true });
    }
  }
}
