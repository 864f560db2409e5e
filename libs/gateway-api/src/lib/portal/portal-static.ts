import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';

import { CSP_NONCE_PLACEHOLDER, cspNonceOf } from '../security/security-headers';

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
  const indexHtml = join(portalDir, 'index.html');
  /** index.html with this response's CSP nonce in place of the placeholder; read each time (small, rare, rebuilt in place). */
  const sendIndex = (response: Response, next: NextFunction): void => {
    readFile(indexHtml, 'utf8').then((html) => {
      response.setHeader('Cache-Control', 'no-cache');
      response.type('html').send(html.replaceAll(CSP_NONCE_PLACEHOLDER, cspNonceOf(response)));
    }, next);
  };
  // Before the static files, which would otherwise serve /index.html with the placeholder as its nonce.
  app.use('/index.html', (request: Request, response: Response, next: NextFunction) => {
    if (request.method === 'GET' || request.method === 'HEAD') sendIndex(response, next);
    else next();
  });
  // Not for /api: serve-static would stat the portal folder on every API request (4–6 % of the
  // gateway's main thread under REST load, profiled by tools/bench/src/security-profile.ts).
  const assets = express.static(portalDir, { index: false, fallthrough: true });
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (isApiPath(request.path)) next();
    else assets(request, response, next);
  });
  app.use((request: Request, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(request.path)) {
      next();
      return;
    }
    sendIndex(response, next);
  });
}
