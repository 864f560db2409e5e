import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// Relative, not @flotilla/platform/net: jest's globalSetup loads this file without the workspace's
// path aliases (see embedded-postgres.ts).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { freePorts } from '../../../libs/platform/net/src/free-ports';

/**
 * Babelfish for PostgreSQL: a real TDS / T-SQL server (PostgreSQL underneath) that the `mssql`
 * driver talks to as to a SQL Server. The prebuilt tarball lives beside the project in
 * `shared/babelfish/`; it is extracted once into a cache folder and each start gets a data folder
 * of its own on free loopback ports.
 */
const TARBALL_NAME = 'babelfish-4.3.0-pg16.4-bookworm-x86_64.tar.gz';
const TARBALL_SHA256 = '529b90b6b01da9ecc2b92f5eabdb0d39a49377a1cce575725ed37d270210578e';
const LOGIN = { user: 'babelfish_user', password: 'flotilla-test-Pw1' };
/** PostgreSQL (and so Babelfish) refuses to run as root; as root we run it as this user. */
const SERVER_USER = 'postgres';

/**
 * FLOTILLA_BABELFISH_TARBALL, else `shared/babelfish/<tarball>` in the project's folder or any
 * folder above it (this workplace keeps it at ../shared beside the checkout).
 */
export function findBabelfishTarball(projectRoot = resolve(__dirname, '../../..')): string | undefined {
  const configured = process.env['FLOTILLA_BABELFISH_TARBALL'];
  if (configured) return existsSync(configured) ? configured : undefined;
  for (let dir = projectRoot; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'babelfish', TARBALL_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function sha256Of(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => done(hash.digest('hex')));
  });
}

function run(
  command: string,
  args: string[],
  options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0
        ? done(output)
        : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

/**
 * The extracted build, shared by every run on this machine. Extraction goes to a temp sibling
 * renamed into place, so two test runs starting at once never see half a tree.
 */
async function extractedBuild(tarball: string): Promise<string> {
  const cacheRoot = process.env['FLOTILLA_TEST_CACHE_DIR'] ?? join(tmpdir(), 'flotilla-cache');
  const target = join(cacheRoot, `babelfish-${TARBALL_SHA256.slice(0, 12)}`);
  const bin = join(target, 'babelfish', 'bin', 'bbf_quickstart.sh');
  if (existsSync(bin)) return join(target, 'babelfish');
  const actual = await sha256Of(tarball);
  if (actual !== TARBALL_SHA256) {
    throw new Error(
      `${tarball} has sha256 ${actual}, expected ${TARBALL_SHA256}: not the build this project was tested with`,
    );
  }
  await mkdir(cacheRoot, { recursive: true });
  // Readable by the unprivileged server user (its parents too: /tmp is, a home folder may not be).
  await chmod(cacheRoot, 0o755);
  const staging = await mkdtemp(join(cacheRoot, 'extracting-'));
  await run('tar', ['-C', staging, '-xzf', tarball], {});
  await run('chmod', ['-R', 'a+rX', staging], {});
  await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
    // Another run finished first: use its tree.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(bin)) throw error;
  });
  return join(target, 'babelfish');
}

interface ServerAccount {
  uid?: number;
  gid?: number;
}

/** As root: the `postgres` user (created as embedded-postgres does, when missing). Otherwise ourselves. */
function serverAccount(): ServerAccount {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, SERVER_USER], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const created = spawnSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER],
      { encoding: 'utf8' },
    );
    if (created.status !== 0) throw new Error(`cannot create user ${SERVER_USER}: ${created.stderr}`);
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

export interface StartedBabelfish {
  /** mssql://user:password@127.0.0.1:port?encrypt=false&trustServerCertificate=true (no database). */
  baseUrl: string;
  tdsPort: number;
  describe: string;
  kind: 'babelfish';
  stop(): Promise<void>;
}

/**
 * How Babelfish maps T-SQL databases to PostgreSQL schemas: `multi-db` (any number of databases,
 * schema `<db>_dbo`) or `single-db` (one user database, schema `dbo`).
 */
export type BabelfishMigrationMode = 'multi-db' | 'single-db';

/** A server certificate for the TDS endpoint (PostgreSQL's ssl settings, which Babelfish's TDS uses). */
export interface BabelfishTls {
  certificatePem: string;
  /** PKCS8 PEM. */
  privateKeyPem: string;
}

/**
 * Turns TLS on for a Babelfish just initialised: PostgreSQL's `ssl` with the given certificate, and
 * `babelfishpg_tds.tds_ssl_encrypt` so the TDS endpoint answers a client's PRELOGIN with
 * "encryption on" and wraps the whole session, not only the login. Takes effect at the next start.
 */
async function configureTls(
  parent: string,
  dataDir: string,
  tls: BabelfishTls,
  account: ServerAccount,
): Promise<void> {
  const certificate = join(parent, 'server.crt');
  const key = join(parent, 'server.key');
  await writeFile(certificate, tls.certificatePem, { mode: 0o644 });
  // PostgreSQL refuses a key others can read, or one that is not the server user's own.
  await writeFile(key, tls.privateKeyPem, { mode: 0o600 });
  if (account.uid !== undefined) await chown(key, account.uid, account.gid ?? account.uid);
  await appendFile(
    join(dataDir, 'postgresql.conf'),
    [
      '',
      '# ---- TLS (flotilla tests) ----',
      'ssl = on',
      `ssl_cert_file = '${certificate}'`,
      `ssl_key_file = '${key}'`,
      'babelfishpg_tds.tds_ssl_encrypt = on',
      '',
    ].join('\n'),
  );
}

export interface StartBabelfishOptions {
  /** Serve TLS on the TDS endpoint with this certificate (the default: no TLS). */
  tls?: BabelfishTls;
}

/** Starts a fresh Babelfish server; undefined when its tarball is not on this machine. */
export async function startBabelfish(
  tarball = findBabelfishTarball(),
  migrationMode: BabelfishMigrationMode = 'multi-db',
  options: StartBabelfishOptions = {},
): Promise<StartedBabelfish | undefined> {
  if (!tarball) return undefined;
  const build = await extractedBuild(tarball);
  const account = serverAccount();
  const parent = await mkdtemp(join(tmpdir(), 'flotilla-bbf-'));
  await chmod(parent, 0o755);
  const dataDir = join(parent, 'data');
  if (account.uid !== undefined) await chown(parent, account.uid, account.gid ?? account.uid);
  const [tdsPort, pgPort] = await freePorts(2);
  const script = join(build, 'bin', 'bbf_quickstart.sh');
  const env = {
    PATH: process.env['PATH'],
    HOME: parent,
    BBF_USER: LOGIN.user,
    BBF_PASSWORD: LOGIN.password,
    BBF_FAST: '1',
    BBF_MIGRATION_MODE: migrationMode,
  };
  const stop = async (): Promise<void> => {
    await run(script, ['stop', dataDir], { ...account, env }).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  };
  try {
    await run(script, ['init', dataDir, String(tdsPort), String(pgPort)], { ...account, env });
    if (options.tls) {
      await configureTls(parent, dataDir, options.tls, account);
      await run(script, ['stop', dataDir], { ...account, env });
      await run(script, ['start', dataDir], { ...account, env });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    baseUrl: `mssql://${LOGIN.user}:${LOGIN.password}@127.0.0.1:${tdsPort}?encrypt=false&trustServerCertificate=true`,
    tdsPort,
    kind: 'babelfish',
    describe: `Babelfish for PostgreSQL 4.3.0, ${migrationMode} (TDS on 127.0.0.1:${tdsPort}, data ${dataDir})`,
    stop,
  };
}
