import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

import { OPENAPI_PATH } from '../docs/openapi';

/**
 * Written in the portal's index.html (`<flotilla-root ngCspNonce="…">`) and replaced by a fresh
 * nonce in every answer that serves it: Angular puts that nonce on the `<style>` elements it adds
 * for component styles, which is what lets style-src go without 'unsafe-inline'.
 */
export const CSP_NONCE_PLACEHOLDER = 'FLOTILLA_CSP_NONCE';

/** The nonce of this response's Content-Security-Policy (set for portal pages only). */
export function cspNonceOf(response: ServerResponse): string {
  const nonce: unknown = (response as Response).locals?.['cspNonce'];
  if (typeof nonce !== 'string')
    throw new Error('No CSP nonce on this response (security headers not installed)');
  return nonce;
}

const nonceSource = (_request: IncomingMessage, response: ServerResponse): string =>
  `'nonce-${cspNonceOf(response)}'`;

/**
 * The portal: only its own files run. No inline script at all (the build does not inline critical
 * CSS, whose onload handler would need one); inline styles only with this response's nonce, never
 * in attributes; Trusted Types so a stray innerHTML cannot become script; nothing may frame it.
 */
const PORTAL_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'frame-src': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", nonceSource],
  'style-src-attr': ["'none'"],
  'worker-src': ["'none'"],
  'require-trusted-types-for': ["'script'"],
  'trusted-types': ['angular', 'angular#bundler'],
};

/**
 * Swagger UI (/api/docs), on its own route only: its page carries an inline `<style>` block and
 * style attributes we do not write, so styles there may be inline. Scripts stay its own files.
 */
const DOCS_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
};

/** API answers are data (JSON, event streams, downloads), never documents: they may load nothing. */
const API_DIRECTIVES = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

const csp = (directives: Record<string, Iterable<string | typeof nonceSource>>) =>
  helmet.contentSecurityPolicy({ useDefaults: false, directives });

const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');
const docsPath = `/${OPENAPI_PATH}`;
const isDocsPage = (path: string): boolean => path === docsPath || path.startsWith(`${docsPath}/`);

/**
 * Security headers on every answer of the gateway, installed before anything else answers
 * (portal files, Swagger UI, REST routes, errors):
 * - Content-Security-Policy: strict for the portal, data-only for the API, relaxed styles for
 *   Swagger UI's page;
 * - X-Frame-Options: DENY beside frame-ancestors 'none' (older browsers): no clickjacking;
 * - X-Content-Type-Options: nosniff; Referrer-Policy: no-referrer (a task id in a URL stays here);
 *   Cross-Origin-Opener/Resource-Policy: same-origin; the rest of helmet's defaults.
 * Strict-Transport-Security is not sent here: HAProxy terminates TLS for users and sets HSTS in
 * the users' HTTPS frontend (docker/haproxy/haproxy.cfg.template, `http-response set-header
 * Strict-Transport-Security`); a gateway reached over plain HTTP on loopback or behind the proxy
 * must not pin HTTPS for its host name.
 */
export function installSecurityHeaders(app: NestExpressApplication): void {
  app.use(
    helmet({
      contentSecurityPolicy: false,
      strictTransportSecurity: false,
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  const portalPolicy = csp(PORTAL_DIRECTIVES);
  const docsPolicy = csp(DOCS_DIRECTIVES);
  const apiPolicy = csp(API_DIRECTIVES);
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (isDocsPage(request.path)) return docsPolicy(request, response, next);
    if (isApiPath(request.path)) return apiPolicy(request, response, next);
    response.locals['cspNonce'] = randomBytes(16).toString('base64');
    return portalPolicy(request, response, next);
  });
}
