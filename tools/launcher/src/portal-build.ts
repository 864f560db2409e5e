import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time of any file under a folder. */
function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the portal when its output is missing or older than its sources, so `npm start` serves it. */
export function ensurePortalBuilt(repoRoot: string, portalDir: string): void {
  const index = join(portalDir, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestChange(join(repoRoot, 'apps', 'portal', 'src')))
    return;
  console.log('[launcher] Building the portal (after a change or at first start; up to a minute or two)...');
  const result = spawnSync(process.execPath, [require.resolve('nx/bin/nx'), 'run', 'portal:build'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  if (result.status !== 0)
    throw new Error('The portal build failed (see above); the API would still work without it.');
}
