import { safeJoin, UnsafePathError } from './safe-path';

describe(safeJoin.name, () => {
  it('joins names inside the root', () => {
    expect(safeJoin('/srv/shared', 'Packages', 'app.1.0.0.zip')).toBe('/srv/shared/Packages/app.1.0.0.zip');
  });

  it.each(['../etc/passwd', 'a/../../b', '/etc/passwd', 'C:\\windows', 'a\0b', '..'])(
    'refuses %j',
    (segment) => {
      expect(() => safeJoin('/srv/shared', segment)).toThrow(UnsafePathError);
    },
  );
});
