import { loadDirectorySyncIntervalMs } from './directory-config';
import { ConfigError } from './env-reader';

describe(loadDirectorySyncIntervalMs.name, () => {
  it('defaults to five minutes', () => {
    expect(loadDirectorySyncIntervalMs({})).toBe(300_000);
  });

  it('takes a whole number of milliseconds', () => {
    expect(loadDirectorySyncIntervalMs({ FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS: '60000' })).toBe(60_000);
  });

  it.each(['abc', '0', '999', '1.5', '86400001'])('refuses %s naming the variable', (raw) => {
    expect(() => loadDirectorySyncIntervalMs({ FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS: raw })).toThrow(
      ConfigError,
    );
    expect(() => loadDirectorySyncIntervalMs({ FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS: raw })).toThrow(
      /FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS/,
    );
  });
});
