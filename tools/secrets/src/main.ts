import { join, resolve } from 'node:path';

import { prepareMasterKeyRotation, rotateMasterKey } from '@flotilla/orchestration';
import { ConfigError, loadFlotillaConfig } from '@flotilla/platform/config';
import { createDataSource } from '@flotilla/platform/persistence';
import { MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, MasterKeyError } from '@flotilla/platform/secrets';

const repoRoot = resolve(__dirname, '..', '..', '..');

const USAGE = `npm run secrets -- rotate-master-key | prepare-master-key

  rotate-master-key   Re-encrypts every sensitive variable value (variable sets and releases) under a
                      new master key, online: running orchestrators that read the same key file keep
                      working. Needs FLOTILLA_DB_URL (and FLOTILLA_DB_DIALECT=mssql for SQL Server).
                      Interrupted, run it again: it finishes the same rotation.
  prepare-master-key  Only puts a new key in front of the old one in the key file (no database):
                      for orchestrators on several machines, copy that file to each, then run
                      rotate-master-key, which finishes this rotation, and copy the final file.

  The key file: FLOTILLA_MASTER_KEY_FILE, else <FLOTILLA_DATA_DIR or .flotilla>/master.key (npm start's).`;

/** The key file to rotate: a key given only in FLOTILLA_MASTER_KEY cannot be rewritten by a tool. */
function keyFileFrom(env: NodeJS.ProcessEnv): string {
  const file = env[MASTER_KEY_FILE_ENV]?.trim();
  if (file) return resolve(file);
  if (env[MASTER_KEY_ENV]?.trim()) {
    throw new MasterKeyError(
      `${MASTER_KEY_ENV} is set: rotation rewrites a key file. Put the key in a file (mode 0600), point ` +
        `${MASTER_KEY_FILE_ENV} at it for every orchestrator and for this command, and run it again.`,
    );
  }
  return join(resolve(env['FLOTILLA_DATA_DIR'] ?? join(repoRoot, '.flotilla')), 'master.key');
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (command === 'prepare-master-key') {
    const keyFile = keyFileFrom(process.env);
    const prepared = prepareMasterKeyRotation(keyFile);
    console.log(
      `${keyFile} holds the new master key ${prepared.newKeyId} in front of the old one` +
        `${prepared.created ? '' : ' (prepared earlier)'}: copy it to every orchestrator's node, then run rotate-master-key.`,
    );
    return;
  }
  if (command !== 'rotate-master-key') {
    console.error(USAGE);
    process.exit(command === undefined || command === '--help' ? 0 : 2);
  }
  // The whole database config, so FLOTILLA_DB_TLS* apply here as in the services.
  const { database } = loadFlotillaConfig();
  if (!database.url) throw new ConfigError(['FLOTILLA_DB_URL is required']);
  const keyFile = keyFileFrom(process.env);
  const dataSource = await createDataSource(database, {
    applicationName: 'flotilla-secrets',
    entities: [],
    poolSize: 2,
  }).initialize();
  try {
    const rotation = await rotateMasterKey(dataSource, keyFile, { log: (line) => console.log(line) });
    console.log(
      `Re-encrypted ${rotation.resealed} sensitive value(s) under master key ${rotation.newKeyId}; ` +
        `${keyFile} now holds only that key (retired: ${rotation.retiredKeyIds.join(', ')}). ` +
        'Copy the new key file to every node that runs an orchestrator, and back it up.',
    );
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof MasterKeyError ? error.message : error);
  process.exit(1);
});
