import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ConfigError, loadFlotillaConfig } from '@flotilla/platform/config';

import { ensureNodePki } from './node-pki';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORD_GENERATED_ENV } from '@flotilla/auth';
import { ensureMasterKeyFile, hasMasterKeyConfigured, MASTER_KEY_FILE_ENV } from '@flotilla/platform/secrets';

import { NODE_SERVICES } from '@flotilla/cluster/protocol';

import { adminPassword, signInLine } from './admin-password';
import { DATABASE_URL_FORMS, databaseUrlProblems, describeDatabaseUrl } from './database-url';
import { EmbeddedDatabase, startEmbeddedDatabase } from './embedded-database';
import { migrateDatabase } from './migrate-database';
import { ensurePortalBuilt } from './portal-build';
import { serviceEnvironment } from './service-environment';
import { ServiceProcess } from './service-process';
import { waitForHttpOk } from './wait-for-http';

const repoRoot = resolve(__dirname, '..', '..', '..');

/**
 * `npm start`: one Flotilla node on this machine. Without FLOTILLA_DB_URL it runs an embedded
 * PostgreSQL under .flotilla/; with one it uses that database on FLOTILLA_DB_DIALECT (postgres, or
 * mssql for SQL Server: mssql://user:password@host:port/database). It applies migrations, starts the six services as separate
 * processes, waits for the gateway and prints the portal URL and how to sign in (a generated admin
 * password is printed once; a configured one never).
 */
async function main(): Promise<void> {
  const launchedAt = Date.now();
  const dataRoot = resolve(process.env['FLOTILLA_DATA_DIR'] ?? join(repoRoot, '.flotilla'));
  // The data folder lets others pass but not list (0711): the embedded PostgreSQL runs as its own
  // user and must reach pgdata/, scripts as theirs and must reach deployments/; everything secret
  // inside (master.key, pki/, admin-password) is 0600/0700 of its own. Made before the master key,
  // whose 0700 would otherwise become the data folder's mode and lock PostgreSQL out at initdb.
  mkdirSync(dataRoot, { recursive: true });
  chmodSync(dataRoot, 0o711);
  // Sensitive variables are sealed under the master key: made at first start unless configured.
  // Set here (not only for the services) because migrating may need it to seal older clear values.
  if (!hasMasterKeyConfigured()) {
    const keyFile = ensureMasterKeyFile(join(dataRoot, 'master.key'));
    process.env[MASTER_KEY_FILE_ENV] = keyFile.path;
    if (keyFile.created)
      console.log(
        `[launcher] Made the master key for sensitive values: ${keyFile.path} (0600; back it up apart from the database)`,
      );
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLOTILLA_SHARED_STORAGE: resolve(process.env['FLOTILLA_SHARED_STORAGE'] ?? join(dataRoot, 'shared')),
    FLOTILLA_DEPLOY_ROOT: resolve(process.env['FLOTILLA_DEPLOY_ROOT'] ?? join(dataRoot, 'deployments')),
    FLOTILLA_PORTAL_DIR: resolve(
      process.env['FLOTILLA_PORTAL_DIR'] ?? join(repoRoot, 'dist', 'apps', 'portal', 'browser'),
    ),
  };

  let database: EmbeddedDatabase | undefined;
  const dialect = env['FLOTILLA_DB_DIALECT'];
  if (!env['FLOTILLA_DB_URL'] && dialect && dialect !== 'postgres') {
    // Only PostgreSQL is embedded: any other database is the operator's, given by URL.
    console.error(
      dialect === 'mssql'
        ? `FLOTILLA_DB_DIALECT=mssql needs FLOTILLA_DB_URL=${DATABASE_URL_FORMS.mssql} (npm start embeds only PostgreSQL)`
        : `FLOTILLA_DB_DIALECT must be postgres or mssql (got ${dialect})`,
    );
    process.exit(1);
  }
  if (!env['FLOTILLA_DB_URL']) {
    const port = Number(env['FLOTILLA_EMBEDDED_PG_PORT'] ?? 54329);
    console.log(
      `[launcher] No FLOTILLA_DB_URL: starting embedded PostgreSQL on 127.0.0.1:${port} (${dataRoot}/pgdata)`,
    );
    database = await startEmbeddedDatabase(dataRoot, port);
    env['FLOTILLA_DB_DIALECT'] = 'postgres';
    env['FLOTILLA_DB_URL'] = database.url;
  }
  const admin = await adminPassword(env[ADMIN_PASSWORD_ENV], join(dataRoot, 'admin-password'));
  // For auth alone (see serviceEnvironment): it creates the administrator, and one made with a
  // generated password must change it at first sign-in. A configured one is the operator's choice.
  env[ADMIN_PASSWORD_ENV] = admin.password;
  env[ADMIN_PASSWORD_GENERATED_ENV] = String(admin.origin === 'generated');

  const services: ServiceProcess[] = [];
  let shuttingDown = false;
  const shutdown = async (exitCode: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log('[launcher] Stopping...');
    await Promise.all(services.map((service) => service.stop()));
    await database?.stop();
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const config = loadFlotillaConfig(env);
    const problems = databaseUrlProblems(config.database);
    if (problems.length) throw new ConfigError(problems);
    console.log(`[launcher] Database: ${describeDatabaseUrl(config.database)}`);
    await ensureNodePki(env, dataRoot, config.nodeName);
    if (env['FLOTILLA_SKIP_PORTAL_BUILD'] !== 'true')
      ensurePortalBuilt(repoRoot, env['FLOTILLA_PORTAL_DIR'] ?? '');
    const migrationStart = Date.now();
    const applied = await migrateDatabase(config.database);
    console.log(
      `[launcher] Database schema: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'} (${Date.now() - migrationStart} ms)`,
    );

    for (const name of NODE_SERVICES) {
      const service = new ServiceProcess(
        name,
        repoRoot,
        serviceEnvironment(name, env),
        () => void shutdown(1),
      );
      services.push(service);
      service.start();
    }
    const baseUrl = `http://${config.httpHost}:${config.httpPort}`;
    await waitForHttpOk(`${baseUrl}/api/health/ping`, 120_000);
    console.log(
      [
        '',
        `Flotilla node ${config.nodeName} is running (ready in ${Math.round((Date.now() - launchedAt) / 1000)} s).`,
        `  Portal:   ${baseUrl}/`,
        `  API docs: ${baseUrl}/api/docs`,
        `  Sign in:  ${signInLine(config.adminUsername, admin)}`,
        '  Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    // One machine-readable line for tools that start a node and wait for it.
    console.log(`FLOTILLA_READY ${JSON.stringify({ baseUrl, adminUsername: config.adminUsername })}`);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    await shutdown(1);
  }
}

void main();
