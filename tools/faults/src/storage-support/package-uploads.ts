import { createHash, randomBytes } from 'node:crypto';

import { Agent } from 'undici';

import { buildZip, publicTlsCa } from '@flotilla/testing';

export type UploadKind = 'raw' | 'multipart';

export interface TestPackage {
  packageId: string;
  version: string;
  fileName: string;
  content: Buffer;
  sha256: string;
}

export interface UploadAnswer {
  status: number;
  /** The `message` of an error answer, or the whole text when it is not JSON. */
  message: string;
  sha256?: string;
  /** The stored file name of a published package. */
  fileName?: string;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A zip of `payloadBytes` random (incompressible) bytes, so it really needs that much room. */
export function testPackage(packageId: string, version: string, payloadBytes: number): TestPackage {
  const content = buildZip([{ name: 'payload.bin', content: randomBytes(payloadBytes) }]);
  return { packageId, version, fileName: `${packageId}.${version}.zip`, content, sha256: sha256(content) };
}

/**
 * One request on a connection of its own (trusting the cluster's certificate for its origin).
 * A refused upload (507, 503) is answered before its body is read, and HAProxy then closes the
 * client's connection; a pooled connection picked up again just as it closes fails the next POST
 * with "other side closed" (seen once in CI), which says nothing about the storage under test.
 */
async function onOwnConnection(
  url: string,
  init: RequestInit,
): Promise<{ status: number; text: string; bytes: Uint8Array }> {
  const ca = publicTlsCa(url);
  const dispatcher = new Agent({ connect: ca ? { ca } : {} });
  try {
    const response = await fetch(url, { ...init, dispatcher } as RequestInit);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, text: Buffer.from(bytes).toString('utf8'), bytes };
  } finally {
    await dispatcher.close();
  }
}

/** One upload the way a client sends it: the raw body (POST /api/packages/raw) or a multipart form. */
export async function uploadPackage(
  baseUrl: string,
  token: string,
  kind: UploadKind,
  pkg: TestPackage,
): Promise<UploadAnswer> {
  const authorization = `Bearer ${token}`;
  const { status, text } =
    kind === 'raw'
      ? await onOwnConnection(`${baseUrl}/api/packages/raw?fileName=${encodeURIComponent(pkg.fileName)}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/octet-stream' },
          body: new Uint8Array(pkg.content),
        })
      : await onOwnConnection(`${baseUrl}/api/packages`, {
          method: 'POST',
          headers: { authorization },
          body: multipartForm(pkg),
        });
  let answer: { message?: unknown; sha256?: unknown; fileName?: unknown } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // Not JSON: the whole text is the message.
  }
  const message = Array.isArray(answer.message) ? answer.message.join('; ') : answer.message;
  return {
    status,
    message: typeof message === 'string' ? message : text,
    sha256: typeof answer.sha256 === 'string' ? answer.sha256 : undefined,
    fileName: typeof answer.fileName === 'string' ? answer.fileName : undefined,
  };
}

function multipartForm(pkg: TestPackage): FormData {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(pkg.content)]), pkg.fileName);
  return form;
}

/** The package as the feed has it: 404 when unknown, else its download's sha-256. */
export async function publishedPackage(
  baseUrl: string,
  token: string,
  pkg: TestPackage,
): Promise<{ metadata: number; download: number; downloadSha256?: string; listed: boolean }> {
  const headers = { authorization: `Bearer ${token}` };
  const path = `/api/packages/${encodeURIComponent(pkg.packageId)}/${encodeURIComponent(pkg.version)}`;
  // Each on a connection of its own too: these follow refused uploads, whose connections HAProxy closes.
  const metadata = await onOwnConnection(`${baseUrl}${path}`, { headers });
  const download = await onOwnConnection(`${baseUrl}${path}/raw`, { headers });
  const list = await onOwnConnection(
    `${baseUrl}/api/packages?packageId=${encodeURIComponent(pkg.packageId)}`,
    { headers },
  );
  const listed = (JSON.parse(list.text) as { items?: { packageId: string; version: string }[] }).items ?? [];
  return {
    metadata: metadata.status,
    download: download.status,
    downloadSha256: download.status === 200 ? sha256(download.bytes) : undefined,
    listed: listed.some((item) => item.packageId === pkg.packageId && item.version === pkg.version),
  };
}
