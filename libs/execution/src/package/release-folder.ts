import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

import { orchestratorV1 } from '@flotilla/contracts';
import { safeJoin } from '@flotilla/platform/storage';

export interface ReleasePaths {
  /** <root>/<project>/<environment> */
  environmentDir: string;
  /** <root>/<project>/<environment>/releases */
  releasesDir: string;
  /** <root>/<project>/<environment>/releases/<version> */
  releaseDir: string;
  /** <root>/<project>/<environment>/current */
  currentLink: string;
}

/** Each of these names one folder level; a slash or dot-name in them would reshape the tree. */
function assertSingleSegment(what: string, value: string): void {
  if (!value || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new Error(`${what} "${value}" cannot name a deployment folder`);
  }
}

export function releasePaths(deployRoot: string, plan: orchestratorV1.TaskPlan): ReleasePaths {
  assertSingleSegment('Project slug', plan.projectSlug);
  assertSingleSegment('Environment slug', plan.environmentSlug);
  assertSingleSegment('Release version', plan.releaseVersion);
  const environmentDir = safeJoin(deployRoot, plan.projectSlug, plan.environmentSlug);
  const releasesDir = safeJoin(environmentDir, 'releases');
  return {
    environmentDir,
    releasesDir,
    releaseDir: safeJoin(releasesDir, plan.releaseVersion),
    currentLink: safeJoin(environmentDir, 'current'),
  };
}

/** A fresh, empty folder beside the release folder, to extract into before it is trusted. */
export async function createStagingFolder(paths: ReleasePaths): Promise<string> {
  await mkdir(paths.releasesDir, { recursive: true });
  const staging = join(paths.releasesDir, `.staging-${randomUUID()}`);
  await mkdir(staging);
  return staging;
}

/**
 * Moves a completely extracted staging folder into place as the release folder, replacing one
 * left by an earlier attempt (moved aside first: rename cannot replace a non-empty folder).
 */
export async function installRelease(staging: string, paths: ReleasePaths): Promise<void> {
  const aside = join(paths.releasesDir, `.replaced-${randomUUID()}`);
  let replaced = false;
  try {
    await rename(paths.releaseDir, aside);
    replaced = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(staging, paths.releaseDir);
  await fsyncFolder(paths.releasesDir);
  if (replaced) await rm(aside, { recursive: true, force: true });
}

/** Points `current` at the release: a symlink made under a temp name, renamed over the old one. */
export async function switchCurrent(paths: ReleasePaths): Promise<void> {
  const temp = join(paths.environmentDir, `.current-${randomUUID()}`);
  await symlink(relative(paths.environmentDir, paths.releaseDir), temp);
  try {
    await rename(temp, paths.currentLink);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncFolder(paths.environmentDir);
}

async function fsyncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
