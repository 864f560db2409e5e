import { RpcErrors } from '@flotilla/platform/grpc';

export const MAX_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 10_000;

/** A display name: trimmed, 1–200 characters. */
export function validName(raw: string | undefined, what: string): string {
  const name = (raw ?? '').trim();
  if (name.length === 0) throw RpcErrors.invalidArgument(`${what} name is required`);
  if (name.length > MAX_NAME_LENGTH) {
    throw RpcErrors.invalidArgument(`${what} name must be at most ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

export function validDescription(raw: string | undefined, what: string): string {
  const description = raw ?? '';
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw RpcErrors.invalidArgument(
      `${what} description must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
    );
  }
  return description;
}

/**
 * The URL- and path-safe form of a name ("Web App (EU)" → "web-app-eu"). Deploy folders are built
 * from slugs, so a name with no letter or digit is refused rather than given an empty slug.
 */
export function slugOf(name: string, what: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME_LENGTH);
  if (!slug) throw RpcErrors.invalidArgument(`${what} name must contain at least one letter or digit`);
  return slug;
}

/** An id from a request: required, and never longer than the 36-character ids we issue. */
export function requiredId(raw: string | undefined, field: string): string {
  const id = (raw ?? '').trim();
  if (!id) throw RpcErrors.invalidArgument(`${field} is required`);
  if (id.length > 36) throw RpcErrors.invalidArgument(`${field} is not a valid id`);
  return id;
}
