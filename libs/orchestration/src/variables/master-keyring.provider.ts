import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { loadMasterKeyring, MasterKeyring } from '@flotilla/platform/secrets';

import { verifyMasterKey } from './master-key-check';

/**
 * The orchestrator's master keyring (inject MasterKeyring), checked against the database before the
 * service takes a call: a missing or wrong key stops start-up with a MasterKeyError saying what to
 * do, instead of failing the first deployment that needs a sensitive value.
 */
export const masterKeyringProvider: Provider = {
  provide: MasterKeyring,
  inject: [DataSource],
  useFactory: async (dataSource: DataSource): Promise<MasterKeyring> => {
    const keyring = loadMasterKeyring();
    const runner = dataSource.createQueryRunner();
    try {
      await verifyMasterKey(runner, keyring);
    } finally {
      await runner.release();
    }
    return keyring;
  },
};
