import { isPermission, PermissionGrant } from '@flotilla/api-interfaces';

/**
 * How a user's scoped grants travel inside the caller token (issue 10: teams scoped to projects
 * and environments). A team scoped to hundreds of projects is ordinary in a large organisation,
 * and the same project list comes back in each of the team's roles, so the ids are not listed per
 * grant: every distinct id is written once, in a table, and each grant's restriction is a bitmap
 * over that table. Ids in canonical UUID form (what Flotilla generates) are packed to 16 bytes;
 * any other id travels as text. In the token (base64url twice: claim, then JWS) 1,000 UUIDs take
 * about 28,500 characters and each grant over them about 225 more, where JSON lists took 52,000
 * per grant (two grants over the same 1,000 projects: 30,200 characters against 105,000).
 *
 * The claims, present together or not at all:
 * - `scopeUuids`: base64url of the UUID ids' 16 bytes each, the table's first entries;
 * - `scopeIds`: the other ids, the table's next entries;
 * - `grants`: [{ permissions, projects?, environments? }], each restriction the base64url of a
 *   bitmap over the table (bit i of byte i/8 set: id i is in the list; absent: every one).
 */
export interface CallerTokenScopeClaims {
  scopeUuids: string;
  scopeIds: string[];
  grants: Array<{ permissions: string[]; projects?: string; environments?: string }>;
}

/**
 * The bounds a caller token's scope stays within, so the token stays within
 * MAX_CALLER_TOKEN_LENGTH and a service never parses an unbounded claim. A user beyond them is
 * refused at the gateway with this account's numbers (CallerTokenTooLarge).
 */
export const MAX_CALLER_TOKEN_SCOPE_IDS = 1500;
/** The scope claims' JSON, in characters: 1,500 UUIDs over a few grants take about 33,000. */
export const MAX_CALLER_TOKEN_SCOPE_CHARS = 40 * 1024;
/**
 * A caller token's length, which the verifier refuses to parse beyond. It travels as one HTTP/2
 * header, and grpc-js sets no metadata limit of its own, so Node's http2 (nghttp2) decides: a
 * header field over 64 KiB once HPACK-Huffman-coded resets the stream (COMPRESSION_ERROR; between
 * 80,000 and 85,000 random base64url characters, measured on Node 20), and a header list of some
 * 300 KB closes the whole connection. 64 KiB of token leaves a fifth spare below the first.
 */
export const MAX_CALLER_TOKEN_LENGTH = 64 * 1024;

/** A user's grants do not fit a caller token; the message is for the administrator of the account. */
export class CallerTokenTooLarge extends Error {}

/** A token whose scope claims do not read; the verifier turns it into a refusal of the token. */
export class MalformedCallerTokenScope extends Error {}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const GRANT_FIELDS: readonly string[] = ['permissions', 'projects', 'environments'];

/** Hex digit values by character code (lower case only: the canonical form), -1 for the rest. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) NIBBLE['0123456789abcdef'.charCodeAt(digit)] = digit;

/**
 * Writes the 16 bytes of a canonical UUID at `at`; false (bytes undefined) for any other id. By
 * hand rather than a regular expression and Buffer.from(hex): a quarter of the time, and this
 * runs for every id of every token the gateway mints.
 */
function packUuid(id: string, out: Buffer, at: number): boolean {
  if (id.length !== 36) return false;
  let byte = at;
  for (let index = 0; index < 36; ) {
    const code = id.charCodeAt(index);
    if (index === 8 || index === 13 || index === 18 || index === 23) {
      if (code !== 45 /* - */) return false;
      index += 1;
      continue;
    }
    const next = id.charCodeAt(index + 1);
    const high = code < 128 ? NIBBLE[code] : -1;
    const low = next < 128 ? NIBBLE[next] : -1;
    if (high < 0 || low < 0) return false;
    out[byte++] = (high << 4) | low;
    index += 2;
  }
  return true;
}

/** The UUID at `at` of the hex of the packed ids (one hex conversion for all: half the CPU). */
function uuidText(hex: string, at: number): string {
  return `${hex.slice(at, at + 8)}-${hex.slice(at + 8, at + 12)}-${hex.slice(at + 12, at + 16)}-${hex.slice(at + 16, at + 20)}-${hex.slice(at + 20, at + 32)}`;
}

/** The distinct ids of the grants' restrictions: UUIDs first (and packed), then the rest, each once. */
function idTable(grants: readonly PermissionGrant[]): { uuids: string[]; packed: Buffer; others: string[] } {
  const distinct = new Set<string>();
  for (const grant of grants) {
    for (const id of grant.projectIds ?? []) distinct.add(id);
    for (const id of grant.environmentIds ?? []) distinct.add(id);
  }
  const packed = Buffer.alloc(distinct.size * UUID_BYTES);
  const uuids: string[] = [];
  const others: string[] = [];
  for (const id of distinct) {
    if (packUuid(id, packed, uuids.length * UUID_BYTES)) uuids.push(id);
    else others.push(id);
  }
  return { uuids, packed: packed.subarray(0, uuids.length * UUID_BYTES), others };
}

/** How many distinct project and environment ids the grants name (what the bound counts). */
export function distinctScopeIds(grants: readonly PermissionGrant[]): number {
  const { uuids, others } = idTable(grants);
  return uuids.length + others.length;
}

function bitmap(ids: readonly string[], indexOf: ReadonlyMap<string, number>): string {
  const bytes = Buffer.alloc(Math.ceil(indexOf.size / 8));
  for (const id of ids) {
    const index = indexOf.get(id) as number;
    bytes[index >> 3] = bytes[index >> 3] | (1 << (index & 7));
  }
  return bytes.toString('base64url');
}

function tooLarge(grants: readonly PermissionGrant[], ids: number, limit: string): CallerTokenTooLarge {
  const scoped = grants.filter((grant) => grant.projectIds || grant.environmentIds).length;
  return new CallerTokenTooLarge(
    `This account's team grants list ${ids} distinct projects and environments over ${scoped} scoped ` +
      `grants; ${limit}. An administrator can narrow the scopes of its teams (fewer projects or ` +
      'environments per team role; a role without projects reaches every project) or take the account ' +
      'out of some teams.',
  );
}

/**
 * The scope claims of `grants`. Throws CallerTokenTooLarge, naming the account's numbers and the
 * limit, when they would not fit the token: the gateway refuses the user's request with it rather
 * than send a token every service would refuse.
 */
export function scopeClaimsOf(grants: readonly PermissionGrant[]): CallerTokenScopeClaims {
  const { uuids, packed, others } = idTable(grants);
  const count = uuids.length + others.length;
  if (count > MAX_CALLER_TOKEN_SCOPE_IDS)
    throw tooLarge(grants, count, `the limit is ${MAX_CALLER_TOKEN_SCOPE_IDS}`);
  const indexOf = new Map([...uuids, ...others].map((id, index) => [id, index]));
  const claims: CallerTokenScopeClaims = {
    scopeUuids: packed.toString('base64url'),
    scopeIds: others,
    grants: grants.map((grant) => ({
      permissions: [...grant.permissions],
      ...(grant.projectIds ? { projects: bitmap(grant.projectIds, indexOf) } : {}),
      ...(grant.environmentIds ? { environments: bitmap(grant.environmentIds, indexOf) } : {}),
    })),
  };
  const chars = JSON.stringify(claims).length;
  if (chars > MAX_CALLER_TOKEN_SCOPE_CHARS)
    throw tooLarge(
      grants,
      count,
      `written in a caller token they take ${chars} characters, and the limit is ${MAX_CALLER_TOKEN_SCOPE_CHARS}`,
    );
  return claims;
}

/** Fails with CallerTokenTooLarge when `grants` would not fit a caller token (the gateway's check). */
export function assertGrantsFitCallerToken(grants: readonly PermissionGrant[] | undefined): void {
  if (grants) scopeClaimsOf(grants);
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

/** Bytes of strict base64url: the one encoding of those bytes, nothing else accepted. */
function base64urlBytes(text: unknown): Buffer {
  if (typeof text !== 'string' || !BASE64URL.test(text)) throw new MalformedCallerTokenScope();
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new MalformedCallerTokenScope();
  return bytes;
}

/** The ids a bitmap selects; it must cover the table exactly, with no bit past its end. */
function idsOf(text: unknown, table: readonly string[]): string[] {
  const bytes = base64urlBytes(text);
  if (bytes.length !== Math.ceil(table.length / 8)) throw new MalformedCallerTokenScope();
  const ids: string[] = [];
  for (let byte = 0; byte < bytes.length; byte++) {
    const bits = bytes[byte];
    if (bits === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if ((bits & (1 << bit)) === 0) continue;
      const id = table[byte * 8 + bit];
      if (id === undefined) throw new MalformedCallerTokenScope();
      ids.push(id);
    }
  }
  return ids;
}

/** The id table of the claims: each id once, UUIDs only in the packed part, within the bound. */
function tableOf(payload: Record<string, unknown>): string[] {
  const packed = base64urlBytes(payload['scopeUuids']);
  const others = payload['scopeIds'];
  if (packed.length % UUID_BYTES !== 0 || !isTextList(others)) throw new MalformedCallerTokenScope();
  const table: string[] = [];
  const hex = packed.toString('hex');
  for (let at = 0; at < hex.length; at += 2 * UUID_BYTES) table.push(uuidText(hex, at));
  for (const id of others) {
    if (!id || CANONICAL_UUID.test(id)) throw new MalformedCallerTokenScope();
    table.push(id);
  }
  if (table.length > MAX_CALLER_TOKEN_SCOPE_IDS || new Set(table).size !== table.length)
    throw new MalformedCallerTokenScope();
  return table;
}

/**
 * The grants of a verified payload, or undefined when it carries none. Anything that does not
 * read exactly as written by scopeClaimsOf throws MalformedCallerTokenScope: a scope that cannot
 * be read is never taken for "no restriction".
 */
export function grantsOfScopeClaims(payload: Record<string, unknown>): PermissionGrant[] | undefined {
  const { grants, scopeUuids, scopeIds } = payload;
  if (grants === undefined && scopeUuids === undefined && scopeIds === undefined) return undefined;
  if (!Array.isArray(grants)) throw new MalformedCallerTokenScope();
  const table = tableOf(payload);
  return grants.map((entry: unknown): PermissionGrant => {
    if (typeof entry !== 'object' || entry === null) throw new MalformedCallerTokenScope();
    const fields = entry as Record<string, unknown>;
    // An unknown field (a restriction under another name) must not leave a grant unrestricted.
    if (Object.keys(fields).some((key) => !GRANT_FIELDS.includes(key))) throw new MalformedCallerTokenScope();
    const { permissions, projects, environments } = fields;
    if (!isTextList(permissions)) throw new MalformedCallerTokenScope();
    return {
      permissions: permissions.filter(isPermission),
      ...(projects !== undefined ? { projectIds: idsOf(projects, table) } : {}),
      ...(environments !== undefined ? { environmentIds: idsOf(environments, table) } : {}),
    };
  });
}
