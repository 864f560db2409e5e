import type { orchestratorV1 } from '@flotilla/contracts';
import { RpcErrors } from '@flotilla/platform/grpc';

const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
/** 1.2.3, 1.2.3.4, 1.2.3-beta.1, optionally +build metadata (SemVer with an optional fourth number). */
const RELEASE_VERSION = new RegExp(
  `^\\d+\\.\\d+\\.\\d+(?:\\.\\d+)?(?:-${IDENTIFIERS})?(?:\\+${IDENTIFIERS})?$`,
);
export const MAX_VERSION_LENGTH = 100;

export function validReleaseVersion(raw: string | undefined): string {
  const version = (raw ?? '').trim();
  if (!version) throw RpcErrors.invalidArgument('release version is required');
  if (version.length > MAX_VERSION_LENGTH || !RELEASE_VERSION.test(version)) {
    throw RpcErrors.invalidArgument(
      `release version "${version.slice(0, MAX_VERSION_LENGTH)}" must look like 1.2.3, 1.2.3.4 or 1.2.3-beta.1`,
    );
  }
  return version;
}

function packageLabel(entry: orchestratorV1.ReleasePackage): string {
  return entry.stepName ? `step "${entry.stepName}"` : `package "${entry.packageId}"`;
}

/**
 * The package version of every deploy-package step, matched by step name, else by package id.
 * Returns one entry per package step, so the executor finds its version either way.
 */
export function resolveReleasePackages(
  steps: readonly orchestratorV1.DeploymentStep[],
  packages: readonly orchestratorV1.ReleasePackage[] | undefined,
): orchestratorV1.ReleasePackage[] {
  const given = (packages ?? []).map((entry) => ({
    stepName: (entry.stepName ?? '').trim(),
    packageId: (entry.packageId ?? '').trim(),
    version: (entry.version ?? '').trim(),
  }));
  for (const entry of given) {
    if (!entry.stepName && !entry.packageId)
      throw RpcErrors.invalidArgument('a release package needs a stepName or a packageId');
    if (!entry.version) throw RpcErrors.invalidArgument(`${packageLabel(entry)} needs a version`);
    if (entry.version.length > MAX_VERSION_LENGTH)
      throw RpcErrors.invalidArgument(`${packageLabel(entry)}: version is too long`);
  }
  const packageSteps = steps.filter((step) => step.actionType === 'deploy-package');
  const used = new Set<orchestratorV1.ReleasePackage>();
  const resolved = packageSteps.map((step) => {
    const packageId = step.properties['packageId'] ?? '';
    const match =
      given.find((entry) => entry.stepName === step.name) ??
      given.find((entry) => !entry.stepName && entry.packageId === packageId);
    if (!match) {
      throw RpcErrors.invalidArgument(
        `step "${step.name}" deploys package "${packageId}": the release must give its version`,
      );
    }
    if (match.packageId && match.packageId !== packageId) {
      throw RpcErrors.invalidArgument(
        `step "${step.name}" deploys package "${packageId}", not "${match.packageId}"`,
      );
    }
    used.add(match);
    return { stepName: step.name, packageId, version: match.version };
  });
  const stray = given.find((entry) => !used.has(entry));
  if (stray)
    throw RpcErrors.invalidArgument(`${packageLabel(stray)} matches no deploy-package step of the process`);
  return resolved;
}
