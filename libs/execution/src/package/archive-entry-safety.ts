/**
 * Why an archive entry name is unsafe to extract, or undefined when it is a plain relative
 * path that stays inside the extraction folder. Checked on the raw name, before any
 * normalisation, so "a/../../x" is refused even though it could be "fixed".
 */
export function unsafeEntryReason(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'NUL in name';
  if (name.includes('\\')) return 'backslash in name';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'drive letter';
  if (name.split('/').includes('..')) return 'parent-folder segment';
  return undefined;
}

/** Thrown for the first unsafe entry of a package; nothing of the package is installed. */
export class UnsafeArchiveEntryError extends Error {
  constructor(entryName: string, packageLabel: string, reason: string) {
    super(`unsafe entry ${entryName} in package ${packageLabel} (${reason})`);
    this.name = 'UnsafeArchiveEntryError';
  }
}
