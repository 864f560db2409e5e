import { EnvReader } from '@flotilla/platform/config';

import { TASK_LOG_WRITE_DEFAULTS } from './task-log-writer';

export const TASK_LOG_RETRY_SETTING = 'FLOTILLA_TASK_LOG_RETRY_MS';

/**
 * How long the executor keeps retrying task log lines that shared storage refuses (full,
 * read-only, I/O errors) before counting them as lost: FLOTILLA_TASK_LOG_RETRY_MS, default
 * 60000. Read where the executor opens task logs; a bad value stops start-up naming the variable.
 */
export function taskLogRetryMsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  const reader = new EnvReader(env);
  const retryMs = reader.int(TASK_LOG_RETRY_SETTING, TASK_LOG_WRITE_DEFAULTS.retryMs, {
    min: 0,
    max: 3_600_000,
  });
  reader.done();
  return retryMs;
}
