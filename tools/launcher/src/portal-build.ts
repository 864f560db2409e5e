import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Builds the portal once, when its output is missing, so `npm start` serves it. */
export function ensurePortalBuilt(repoRoot: string, portalDir: string): void {
  if (existsSync(join(portalDir, 'index.html'))) return;
  console.log('[launcher] Building the portal (first start only, about a minute)...');
  const result = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'nx', 'bin', 'nx.js'), 'run', 'portal:build'],
    {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    },
  );
  if (result.status !== 0)
    throw new Error('The portal build failed (see above); the API would still work without it.');
}
