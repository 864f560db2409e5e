import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/** The workspace root: the nearest folder above this file that holds nx.json. */
function workspaceRoot(start = __dirname): string | undefined {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'nx.json'))) return folder;
    if (dirname(folder) === folder) return undefined;
  }
}

/** FLOTILLA_PORTAL_DIR, else the workspace's built portal if it exists. */
export function resolvePortalDir(configured: string | undefined): string | undefined {
  if (configured) return configured;
  const root = workspaceRoot();
  const built = root ? join(root, 'dist', 'apps', 'portal', 'browser') : undefined;
  return built && existsSync(join(built, 'index.html')) ? built : undefined;
}

const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');

/**
 * Serves the Angular portal's files, and index.html for any other GET outside /api so deep links
 * work (the portal routes in the browser). Without a built portal, `/` says so.
 */
export function servePortal(app: NestExpressApplication, portalDir: string | undefined): void {
  if (!portalDir) {
    app.use('/', (request: Request, response: Response, next: NextFunction) => {
      if (request.method === 'GET' && request.path === '/') {
        response
          .type('text/plain')
          .send(
            'Flotilla is running. The portal is not built; build it (nx build portal) or set FLOTILLA_PORTAL_DIR.\n',
          );
        return;
      }
      next();
    });
    return;
  }
  app.useStaticAssets(portalDir, { index: false, fallthrough: true });
  const indexHtml = join(portalDir, 'index.html');
  app.use((request: Request, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(request.path)) {
      next();
      return;
    }
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(indexHtml);
  });
}
