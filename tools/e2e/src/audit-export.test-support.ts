import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { auditManifestSignatureValid, type SignedAuditManifest } from '@flotilla/audit/trail';
import { PkiLayout } from '@flotilla/platform/pki';
import type { FlotillaNode } from '@flotilla/testing';

/** The node's checkpoint public key: all an offline check of a JSONL export needs. */
export async function checkpointPublicKey(node: FlotillaNode): Promise<KeyObject> {
  // The test run's PKI (every node of it shares one), else the launcher's default beside `shared/`.
  const layout = new PkiLayout(process.env['FLOTILLA_PKI_DIR'] ?? join(dirname(node.sharedStorage), 'pki'));
  return createPublicKey(await readFile(layout.auditCheckpointPublicKey, 'utf8'));
}

/** What an offline check of a JSONL export finds: a reason it fails, or the manifest it holds. */
export function checkJsonlExport(
  file: Buffer,
  publicKey: KeyObject,
): { ok: true; manifest: SignedAuditManifest; lines: string[] } | { ok: false; why: string } {
  const text = file.toString('utf8');
  if (!text.endsWith('\n')) return { ok: false, why: 'the file does not end with a line' };
  const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
  let manifest: SignedAuditManifest;
  try {
    manifest = (JSON.parse(text.slice(lastStart)) as { manifest: SignedAuditManifest }).manifest;
  } catch {
    return { ok: false, why: 'the last line is not a manifest' };
  }
  if (!manifest || !auditManifestSignatureValid(publicKey, manifest))
    return { ok: false, why: 'bad signature' };
  const body = file.subarray(0, Buffer.byteLength(text.slice(0, lastStart), 'utf8'));
  if (createHash('sha256').update(body).digest('hex') !== manifest.sha256)
    return { ok: false, why: 'SHA-256' };
  const lines = body.length === 0 ? [] : body.toString('utf8').slice(0, -1).split('\n');
  if (lines.length !== manifest.count) return { ok: false, why: 'count' };
  return { ok: true, manifest, lines };
}

/** The process id of one of the node's services (the launcher names each by its entry file). */
export async function serviceProcessId(node: FlotillaNode, service: 'gateway' | 'audit'): Promise<number> {
  const nodeName = `FLOTILLA_NODE_NAME=test-node-${new URL(node.baseUrl).port}`;
  const entry = join('apps', service, 'src', 'main.ts');
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const command = await readFile(`/proc/${name}/cmdline`, 'utf8');
      if (!command.includes(entry)) continue;
      const environment = (await readFile(`/proc/${name}/environ`, 'utf8')).split('\0');
      if (environment.includes(nodeName)) return Number(name);
    } catch {
      // A process that ended meanwhile, or another user's.
    }
  }
  throw new Error(`no ${service} process of ${nodeName} found in /proc`);
}

/** Resident memory of a process in bytes (VmRSS). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** Samples the peak RSS of processes every `everyMs` until stopped. */
export function sampleResidentPeak(pids: readonly number[], everyMs = 50) {
  const peaks = new Map<number, number>(pids.map((pid) => [pid, 0]));
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const pid of pids) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, await residentBytes(pid)));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop(): Promise<Map<number, number>> {
      running = false;
      await loop;
      return peaks;
    },
  };
}
