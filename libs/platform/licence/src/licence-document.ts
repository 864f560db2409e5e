import { LicenceError } from './licence-error';

/**
 * The licence XML, read strictly: an optional `<?xml …?>` declaration, then one `<License>` element
 * holding simple text elements only (no attributes, comments or nesting). Anything else is refused
 * rather than guessed at, because what is parsed must be exactly what was signed.
 */
export interface LicenceDocument {
  /** Text of each child element of `<License>`, entities decoded. */
  elements: ReadonlyMap<string, string>;
  /** The bytes the signature covers (see {@link signedBytes}). */
  signedBytes: Buffer;
}

const SIGNATURE_OPEN = '<Signature>';
const SIGNATURE_CLOSE = '</Signature>';
const DOCUMENT = /^(?:<\?xml[^?]*\?>\s*)?<License>([\s\S]*)<\/License>$/;
const CHILD = /\s*<([A-Za-z][A-Za-z0-9]*)>([^<]*)<\/\1>/y;
const ENTITY = /&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/g;
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Leading/trailing whitespace and a byte-order mark are not part of a licence (editors add them). */
export function trimDocument(xml: string): string {
  return xml.replace(/^\uFEFF/, '').trim();
}

/**
 * The canonical signed bytes: the UTF-8 of the trimmed document with the one
 * `<Signature>…</Signature>` element cut out, i.e. the exact text before `<Signature>` followed by
 * the exact text after `</Signature>`, whitespace and line endings untouched.
 */
export function signedBytes(xml: string): Buffer {
  const text = trimDocument(xml);
  const open = text.indexOf(SIGNATURE_OPEN);
  const close = text.indexOf(SIGNATURE_CLOSE);
  if (open < 0 || close < open) throw new LicenceError('licence has no <Signature> element');
  if (text.indexOf(SIGNATURE_OPEN, open + 1) >= 0)
    throw new LicenceError('licence has more than one <Signature> element');
  return Buffer.from(text.slice(0, open) + text.slice(close + SIGNATURE_CLOSE.length), 'utf8');
}

export function escapeXmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function decodeEntities(text: string): string {
  if (/&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/.test(text))
    throw new LicenceError('licence contains a malformed XML entity');
  return text.replace(ENTITY, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return NAMED_ENTITIES[entity] ?? '';
  });
}

export function readLicenceDocument(xml: string): LicenceDocument {
  const text = trimDocument(xml);
  const root = DOCUMENT.exec(text);
  if (!root) throw new LicenceError('licence is not a <License> XML document');
  const body = root[1] ?? '';
  const elements = new Map<string, string>();
  CHILD.lastIndex = 0;
  let position = 0;
  for (let match = CHILD.exec(body); match; match = CHILD.exec(body)) {
    const [, name = '', value = ''] = match;
    if (elements.has(name)) throw new LicenceError(`licence has more than one <${name}> element`);
    elements.set(name, decodeEntities(value));
    position = CHILD.lastIndex;
  }
  if (body.slice(position).trim() !== '')
    throw new LicenceError('licence holds something other than simple <Name>value</Name> elements');
  return { elements, signedBytes: signedBytes(text) };
}
