import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Thrown when a name would lead outside the folder it belongs in. */
export class UnsafePathError extends Error {
  constructor(readonly offending: string) {
    super(`Unsafe path: "${offending}" would leave its folder`);
    this.name = 'UnsafePathError';
  }
}

/**
 * Joins relative segments under a root and refuses anything that escapes it: `..`, absolute
 * paths, drive letters, NUL bytes. Never build a storage path from user input any other way.
 */
export function safeJoin(root: string, ...segments: string[]): string {
  for (const segment of segments) {
    if (
      segment.includes('\0') ||
      isAbsolute(segment) ||
      /^[a-zA-Z]:/.test(segment) ||
      segment.startsWith('\\')
    ) {
      throw new UnsafePathError(segment);
    }
  }
  const base = resolve(root);
  const target = resolve(base, ...segments);
  const rel = relative(base, target);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UnsafePathError(segments.join('/'));
  }
  return target;
}
