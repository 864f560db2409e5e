import { startPostgresServer } from '@flotilla/testing';

import type { Teardown } from '../bench-runner';

/**
 * The test PostgreSQL server the harness makes databases on (FLOTILLA_TEST_PG_BASE_URL, which
 * jest's global setup exports for specs): 127.0.0.1:5432 when it answers, else an embedded one
 * this benchmark starts and the teardown stops (as bench-cluster.ts does for clusters).
 */
export async function provideTestPostgres(teardown: Teardown): Promise<void> {
  if (process.env['FLOTILLA_TEST_PG_BASE_URL']) return;
  const server = await teardown.use(
    'PostgreSQL (if this benchmark started one)',
    startPostgresServer(),
    (started) => started.stop(),
  );
  process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
}
