import { ConfigError } from './env-reader';
import { loadFlotillaConfig } from './flotilla-config';

describe('sign-in throttle settings', () => {
  it('defaults to 5 failures per account and 50 per address in 15 minutes', () => {
    expect(loadFlotillaConfig({}).signInThrottle).toEqual({
      maxFailuresPerUser: 5,
      maxFailuresPerIp: 50,
      windowSeconds: 900,
    });
  });

  it('reads FLOTILLA_SIGNIN_*', () => {
    const config = loadFlotillaConfig({
      FLOTILLA_SIGNIN_MAX_FAILURES_PER_USER: '3',
      FLOTILLA_SIGNIN_MAX_FAILURES_PER_IP: '20',
      FLOTILLA_SIGNIN_WINDOW_SECONDS: '60',
    });
    expect(config.signInThrottle).toEqual({ maxFailuresPerUser: 3, maxFailuresPerIp: 20, windowSeconds: 60 });
  });

  it.each([
    ['FLOTILLA_SIGNIN_MAX_FAILURES_PER_USER', '0'],
    ['FLOTILLA_SIGNIN_MAX_FAILURES_PER_IP', 'many'],
    ['FLOTILLA_SIGNIN_WINDOW_SECONDS', '86401'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadFlotillaConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadFlotillaConfig({ [name]: value })).toThrow(name);
  });
});
