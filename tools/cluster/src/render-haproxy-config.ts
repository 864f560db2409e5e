import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { HaproxyLayout, readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';
import { ensurePublicTlsCertificate, PUBLIC_TLS_CERT_ENV } from './haproxy-config-public-certificate';

/** The stats page's password, kept out of the layout file (which is often committed). */
export const STATS_PASSWORD_ENV = 'FLOTILLA_HAPROXY_STATS_PASSWORD';

/**
 * Renders docker/haproxy/haproxy.cfg.template from a layout JSON file (see docker/haproxy/README.md)
 * and prints the config: `node -r @swc-node/register tools/cluster/src/render-haproxy-config.ts layout.json`.
 * FLOTILLA_HAPROXY_STATS_PASSWORD sets the stats password and FLOTILLA_PUBLIC_TLS_CERT users'
 * certificate bundle (path as HAProxy sees it), over what the layout says. With
 * `--self-signed-public-tls <folder>` and no FLOTILLA_PUBLIC_TLS_CERT, a self-signed certificate
 * (localhost, 127.0.0.1, ::1 and FLOTILLA_PUBLIC_TLS_NAMES) is made there once and used: for a
 * trial deployment only, users must be told to trust it.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'self-signed-public-tls': { type: 'string' } },
  });
  const [layoutPath, templatePath] = positionals;
  if (!layoutPath)
    throw new Error(
      'usage: render-haproxy-config.ts [--self-signed-public-tls <folder>] <layout.json> [template]',
    );
  const layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as HaproxyLayout;
  const statsPassword = process.env[STATS_PASSWORD_ENV];
  if (statsPassword) layout.stats = { username: layout.stats?.username ?? 'admin', password: statsPassword };
  if (!layout.stats?.password)
    throw new Error(`Set ${STATS_PASSWORD_ENV} (or stats.password in the layout): the stats page needs one`);
  const certificate = process.env[PUBLIC_TLS_CERT_ENV];
  const selfSignedFolder = values['self-signed-public-tls'];
  if (certificate) layout.publicTlsCertificate = certificate;
  else if (selfSignedFolder)
    layout.publicTlsCertificate = (
      await ensurePublicTlsCertificate(selfSignedFolder, process.env)
    ).bundlePath;
  const template = templatePath ? readFileSync(templatePath, 'utf8') : readHaproxyTemplate();
  process.stdout.write(renderHaproxyConfig(template, layout));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
