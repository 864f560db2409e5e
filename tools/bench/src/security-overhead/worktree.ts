import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** A checkout of one commit in a folder of its own, the main checkout's node_modules linked in. */
export interface Worktree {
  /** The ref as given (e.g. 48d7035, HEAD). */
  ref: string;
  /** The full commit id it resolved to. */
  commit: string;
  /** The commit's subject line, to print what was measured. */
  subject: string;
  dir: string;
}

const git = (repo: string, args: readonly string[]): string =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The commit a ref names in `repo`, or an error naming the ref. */
export function resolveCommit(repo: string, ref: string): string {
  try {
    return git(repo, ['rev-parse', '--verify', `${ref}^{commit}`]);
  } catch {
    throw new Error(`${ref} names no commit in ${repo}`);
  }
}

/**
 * `git worktree add --detach` of `ref` into `dir`, with `node_modules` a link to the main
 * checkout's: the trees differ in a few exact-pinned additions only (jose, @peculiar/x509, helmet),
 * so the newer tree's node_modules serves the older one too, and no install runs. Files listed in
 * `extraFiles` (path in the tree <- source) are copied in, untracked (the worktree goes away whole).
 */
export function addWorktree(
  repo: string,
  ref: string,
  dir: string,
  extraFiles: Record<string, string> = {},
): Worktree {
  const commit = resolveCommit(repo, ref);
  git(repo, ['worktree', 'add', '--detach', dir, commit]);
  try {
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const [inTree, source] of Object.entries(extraFiles)) {
      const target = join(dir, inTree);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(source, target);
    }
  } catch (error) {
    removeWorktree(repo, dir);
    throw error;
  }
  return { ref, commit, subject: git(repo, ['log', '-1', '--format=%s', commit]), dir };
}

/** Removes the worktree and git's record of it; never throws (a clean-up step). */
export function removeWorktree(repo: string, dir: string): void {
  // The link goes first, on its own: nothing below may ever walk into the main checkout's node_modules.
  const link = join(dir, 'node_modules');
  try {
    if (lstatSync(link).isSymbolicLink()) unlinkSync(link);
  } catch {
    // No link (the add failed before making it).
  }
  try {
    // --force: the tree holds untracked files (the link, copied files, what the run wrote).
    if (existsSync(dir)) git(repo, ['worktree', 'remove', '--force', dir]);
  } catch {
    // Falls through to removing the folder by hand; prune then forgets it.
  }
  rmSync(dir, { recursive: true, force: true });
  try {
    git(repo, ['worktree', 'prune']);
  } catch {
    // Nothing more to do: `git worktree prune` later forgets a folder that is gone.
  }
}

/**
 * Where the linked node_modules does not hold what the tree's package.json pins: "name: wants
 * 1.2.3, has 1.2.4" or "name: wants 1.2.3, missing". Empty when the tree runs on exactly its pins.
 */
export function dependencyMismatches(treeDir: string, nodeModules: string): string[] {
  const manifest = JSON.parse(readFileSync(join(treeDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const wanted = { ...manifest.devDependencies, ...manifest.dependencies };
  const mismatches: string[] = [];
  for (const [name, version] of Object.entries(wanted)) {
    let installed: string | undefined;
    try {
      installed = (
        JSON.parse(readFileSync(join(nodeModules, name, 'package.json'), 'utf8')) as { version?: string }
      ).version;
    } catch {
      installed = undefined;
    }
    // Exact pins (the project's rule) compare as they are; a range is not judged here.
    if (!/^\d/.test(version)) continue;
    if (installed !== version)
      mismatches.push(`${name}: wants ${version}, ${installed ? `has ${installed}` : 'missing'}`);
  }
  return mismatches;
}
