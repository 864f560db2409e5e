import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

/** A regular file (the default kind of entry). */
export interface ArchiveFileEntry {
  kind?: 'file';
  /** Stored as given, so tests can write hostile names such as "../escape.txt". */
  name: string;
  content: string | Buffer;
}

/**
 * A link, as a hostile package would carry one: `target` is stored verbatim (it may be absolute
 * or climb out with ".."). Zip has symbolic links only; tar has both kinds.
 */
export interface ArchiveLinkEntry {
  kind: 'symlink' | 'hardlink';
  name: string;
  target: string;
}

export type ArchiveEntry = ArchiveFileEntry | ArchiveLinkEntry;

function isLink(entry: ArchiveEntry): entry is ArchiveLinkEntry {
  return entry.kind === 'symlink' || entry.kind === 'hardlink';
}

export interface ZipOptions {
  /** Deflate file contents (method 8) instead of storing them; lets a test build a small bomb. */
  deflate?: boolean;
}

const ZIP_STORED = 0;
const ZIP_DEFLATED = 8;
/** "Version made by": high byte 3 = Unix (so the mode in the external attributes counts), spec 2.0. */
const ZIP_MADE_BY_UNIX = (3 << 8) | 20;
const ZIP_MADE_BY_DOS = 20;
const S_IFLNK = 0o120000;

interface ZipEntryBytes {
  method: number;
  madeBy: number;
  externalAttributes: number;
  data: Buffer;
  stored: Buffer;
}

function contentOf(content: string | Buffer): Buffer {
  return Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
}

function zipEntryBytes(entry: ArchiveEntry, options: ZipOptions): ZipEntryBytes {
  if (isLink(entry)) {
    if (entry.kind === 'hardlink') throw new Error(`zip has no hard links (entry ${entry.name})`);
    // As Info-ZIP writes a link: a Unix mode of S_IFLNK|0777 and the target as the stored content.
    const data = Buffer.from(entry.target, 'utf8');
    return {
      method: ZIP_STORED,
      madeBy: ZIP_MADE_BY_UNIX,
      externalAttributes: ((S_IFLNK | 0o777) << 16) >>> 0,
      data,
      stored: data,
    };
  }
  const data = contentOf(entry.content);
  return {
    method: options.deflate ? ZIP_DEFLATED : ZIP_STORED,
    madeBy: ZIP_MADE_BY_DOS,
    externalAttributes: 0,
    data,
    stored: options.deflate ? deflateRawSync(data) : data,
  };
}

/**
 * Builds a zip archive in memory (stored, or deflated on request), enough for tests of extraction
 * and upload; names are written verbatim, including unsafe ones a real tool would refuse.
 */
export function buildZip(entries: readonly ArchiveEntry[], options: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const { method, madeBy, externalAttributes, data, stored } = zipEntryBytes(entry, options);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(madeBy, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(externalAttributes, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDirectory, end]);
}

const TAR_TYPE_FLAG = { file: '0', hardlink: '1', symlink: '2' } as const;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(entry: ArchiveEntry, size: number): Buffer {
  const kind = entry.kind ?? 'file';
  const header = Buffer.alloc(512);
  header.write(entry.name, 0, 100, 'utf8');
  header.write(octal(kind === 'symlink' ? 0o777 : 0o644, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(Math.floor(Date.now() / 1000), 12), 136);
  header.write('        ', 148);
  header.write(TAR_TYPE_FLAG[kind], 156);
  if (isLink(entry)) header.write(entry.target, 157, 100, 'utf8');
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/**
 * Builds a gzipped tar archive in memory: regular files, symbolic and hard links (names and link
 * targets verbatim, up to 100 bytes each).
 */
export function buildTarGz(entries: readonly ArchiveEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = isLink(entry) ? Buffer.alloc(0) : contentOf(entry.content);
    blocks.push(tarHeader(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
