import { ConfigError } from '@flotilla/platform/config';

import { taskLogRetryMsFromEnv } from './task-log-settings';

describe(taskLogRetryMsFromEnv.name, () => {
  it('defaults to 60 s and reads FLOTILLA_TASK_LOG_RETRY_MS', () => {
    expect(taskLogRetryMsFromEnv({})).toBe(60_000);
    expect(taskLogRetryMsFromEnv({ FLOTILLA_TASK_LOG_RETRY_MS: '1500' })).toBe(1500);
  });

  it('refuses a value that is not a whole number of milliseconds, naming the variable', () => {
    expect(() => taskLogRetryMsFromEnv({ FLOTILLA_TASK_LOG_RETRY_MS: 'soon' })).toThrow(ConfigError);
    expect(() => taskLogRetryMsFromEnv({ FLOTILLA_TASK_LOG_RETRY_MS: '-1' })).toThrow(
      /FLOTILLA_TASK_LOG_RETRY_MS/,
    );
  });
});
