import { loadAuditTrailKeys, AuditTrailEntities } from '@flotilla/audit/trail';
import { ConfigError, loadFlotillaConfig } from '@flotilla/platform/config';
import { createDataSource } from '@flotilla/platform/persistence';

import { verifyTrailInDatabase } from './trail-verify-command';

/**
 * `npm run audit:verify-trail`: the chain in FLOTILLA_DB_URL checked with the keys in
 * FLOTILLA_PKI_DIR (audit/chain.key and audit/checkpoint.pub). Exit 0 intact, 1 broken, 2 when it
 * could not check (no database, no keys).
 */
async function main(): Promise<number> {
  const config = loadFlotillaConfig();
  if (!config.database.url) throw new ConfigError(['FLOTILLA_DB_URL is required: the database to verify']);
  const keys = loadAuditTrailKeys();
  const dataSource = await createDataSource(config.database, {
    applicationName: 'flotilla-audit-verify',
    entities: AuditTrailEntities,
    poolSize: 2,
  }).initialize();
  try {
    return await verifyTrailInDatabase(
      dataSource,
      { chainKey: keys.chainKey, checkpointPublicKey: keys.checkpoint.publicKey },
      config.auditCheckpointMs,
      { log: (line) => console.log(line) },
    );
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
