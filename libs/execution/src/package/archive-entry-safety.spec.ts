import { unsafeEntryReason } from './archive-entry-safety';

describe(unsafeEntryReason.name, () => {
  it.each(['app/index.js', 'README.md', 'a/b/c/', 'dots..in..name.txt', './here.txt', '..hidden'])(
    'accepts %s',
    (name) => {
      expect(unsafeEntryReason(name)).toBeUndefined();
    },
  );

  it.each([
    ['../escape.txt', 'parent-folder segment'],
    ['a/../../escape.txt', 'parent-folder segment'],
    ['a/..', 'parent-folder segment'],
    ['/etc/passwd', 'absolute path'],
    ['C:/Windows/evil.dll', 'drive letter'],
    ['c:evil', 'drive letter'],
    ['..\\escape.txt', 'backslash in name'],
    ['a\0b', 'NUL in name'],
    ['', 'empty name'],
  ])('refuses %j (%s)', (name, reason) => {
    expect(unsafeEntryReason(name)).toBe(reason);
  });
});
