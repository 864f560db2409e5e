import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { checkAuditFiles } from './audit-file-checks';

export const USAGE = `npm run audit:verify -- <file or folder> --public-key <checkpoint.pub>

Checks audit files on any machine, with only the cluster's checkpoint public key
(<PKI folder>/audit/checkpoint.pub): no database, no chain key.
  <folder>                     every events-YYYY-MM-DD.jsonl archive in it, and that each manifest
                               names the one before it (a removed or reordered archive is found)
  events-YYYY-MM-DD.jsonl      one archive (its .manifest.json beside it): signature, SHA-256,
                               count, chain numbers firstSequence..lastSequence with no gap
  <export>.jsonl               a JSONL export whose last line is {"manifest":…}
Exit code 0 only when everything checked is intact.`;

export interface VerifyIo {
  log(line: string): void;
  error(line: string): void;
}

function parseArgs(args: readonly string[]): { target: string; publicKeyPath: string } | string {
  let target: string | undefined;
  let publicKeyPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--public-key') publicKeyPath = args[++i];
    else if (arg.startsWith('--public-key=')) publicKeyPath = arg.slice('--public-key='.length);
    else if (arg === '--help' || arg === '-h') return USAGE;
    else if (arg.startsWith('--')) return `unknown option ${arg}\n\n${USAGE}`;
    else if (target === undefined) target = arg;
    else return `one file or folder at a time (got ${target} and ${arg})\n\n${USAGE}`;
  }
  if (!target) return `which file or folder?\n\n${USAGE}`;
  if (!publicKeyPath) return `--public-key <checkpoint.pub> is required\n\n${USAGE}`;
  return { target, publicKeyPath };
}

async function readPublicKey(path: string): Promise<KeyObject> {
  const pem = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new Error(`cannot read the public key ${path}: ${(error as Error).message}`);
  });
  try {
    return createPublicKey(pem);
  } catch {
    throw new Error(`${path} is not a PEM public key (expected the cluster's audit/checkpoint.pub)`);
  }
}

/** Runs the verifier; returns the exit code (0: intact; 1: a problem; 2: bad usage). */
export async function runAuditVerify(args: readonly string[], io: VerifyIo): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.error(parsed);
    return 2;
  }
  let publicKey: KeyObject;
  try {
    publicKey = await readPublicKey(parsed.publicKeyPath);
  } catch (error) {
    io.error((error as Error).message);
    return 2;
  }
  const result = await checkAuditFiles(parsed.target, publicKey);
  for (const line of result.checked) io.log(`ok   ${line}`);
  if (result.problem) {
    io.error(`FAIL ${result.problem}`);
    return 1;
  }
  io.log(`intact: ${parsed.target}`);
  return 0;
}
