import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import {
  beginCaRotation,
  DEFAULT_IDENTITIES,
  ensureClusterPki,
  exportNodePki,
  finishCaRotation,
  PkiLayout,
  pkiStatus,
  reissueLeaves,
  rotateCallerTokenKey,
  signingCertificateAuthority,
  swapHaproxyCheckCertificate,
  writeLeaf,
} from '@flotilla/platform/pki';

export const USAGE = `npm run pki -- <command> [--dir <pki folder>] ...
  init   --node <name> [--node <name>...]    make the CA (first time), trust bundle, caller-token key and
                                             every service's certificate for these nodes; reuses what exists
  issue  --node <name> [--identity <id>...]  issue (again) a node's certificates with the current CA
                                             (all services and tools, or the identities given)
  export --node <name> --to <folder>         copy what that node needs (trust bundle, its certificates,
                                             caller-token keys; never a CA key) into its FLOTILLA_PKI_DIR
  rotate-ca [begin|reissue|finish]           CA rotation, one phase (see below) or all three with
            [--settle-seconds <s>]           a pause between them (default 15 s); with --haproxy-socket,
            [--haproxy-socket <path>]        HAProxy's check certificate is swapped right after reissue
  haproxy-cert --haproxy-socket <path>       make a running HAProxy present the haproxy certificate now
            [--node <name>] [--name <crt>]   on disk (default node load-balancer), through its runtime
                                             API: no reload; --name as HAProxy's config writes the file
  rotate-caller-token                        a new caller-token signing key (the old one still verifies)
  status                                     CAs, trust, every certificate, its CA and expiry
The folder: --dir, else FLOTILLA_PKI_DIR, else .flotilla/pki (what npm start uses).
CA rotation: begin (a new CA signs; old and new trusted) -> reissue (every certificate from the new
CA) -> finish (only the new CA trusted, old CA deleted). Services reload files within 5 s
(FLOTILLA_PKI_REFRESH_MS); between phases copy the folder (or 'export') to every node and wait for
that; after 'reissue', HAProxy must present its reissued check certificate before 'finish'
(--haproxy-socket, or 'haproxy-cert', or reload HAProxy).`;

export interface PkiCommandIo {
  log(line: string): void;
  sleep(ms: number): Promise<void>;
  env: Readonly<Record<string, string | undefined>>;
}

/** Runs one `npm run pki` command; throws with a message for the operator on bad use. */
export async function runPkiCommand(argv: readonly string[], io: PkiCommandIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      node: { type: 'string', multiple: true },
      identity: { type: 'string', multiple: true },
      to: { type: 'string' },
      'settle-seconds': { type: 'string', default: '15' },
      'haproxy-socket': { type: 'string' },
      name: { type: 'string' },
    },
  });
  const [command, phase] = positionals;
  const dir = resolve(values.dir ?? io.env['FLOTILLA_PKI_DIR'] ?? '.flotilla/pki');
  const nodes = values.node ?? [];
  const needNode = (): string => {
    const node = nodes[0];
    if (!node || nodes.length !== 1) throw new Error(`${command} needs exactly one --node\n${USAGE}`);
    return node;
  };
  switch (command) {
    case 'init': {
      if (nodes.length === 0) throw new Error(`init needs --node <name> (one per node)\n${USAGE}`);
      const result = await ensureClusterPki(dir, nodes);
      io.log(`${dir}: CA ${result.signingCaId}; made ${result.created.length} file(s)`);
      for (const file of result.created) io.log(`  ${file}`);
      return;
    }
    case 'issue': {
      const node = needNode();
      await ensureClusterPki(dir, [], []);
      const layout = new PkiLayout(dir);
      const ca = await signingCertificateAuthority(layout);
      for (const identity of values.identity ?? DEFAULT_IDENTITIES) {
        await writeLeaf(layout, ca, node, identity);
        io.log(`issued services/${node}/${identity}.crt (CA ${ca.id})`);
      }
      return;
    }
    case 'export': {
      if (!values.to) throw new Error(`export needs --to <folder>\n${USAGE}`);
      const copied = exportNodePki(dir, needNode(), resolve(values.to));
      io.log(`copied ${copied.length} file(s) into ${resolve(values.to)} (no CA key)`);
      return;
    }
    case 'rotate-ca':
      return rotateCa(dir, phase, Number(values['settle-seconds']), values['haproxy-socket'], io);
    case 'haproxy-cert': {
      const socket = values['haproxy-socket'];
      if (!socket) throw new Error(`haproxy-cert needs --haproxy-socket <path>\n${USAGE}`);
      if (nodes.length > 1) throw new Error(`haproxy-cert takes at most one --node\n${USAGE}`);
      return swapHaproxy(dir, socket, io, { node: nodes[0], name: values.name });
    }
    case 'rotate-caller-token': {
      const key = rotateCallerTokenKey(new PkiLayout(dir));
      io.log(`caller tokens are signed with ${key.kid} from now on (gateways pick it up within 5 s)`);
      return;
    }
    case 'status':
      return printStatus(dir, io);
    default:
      throw new Error(USAGE);
  }
}

async function swapHaproxy(
  dir: string,
  socket: string,
  io: PkiCommandIo,
  options: { node?: string; name?: string } = {},
): Promise<void> {
  const swapped = await swapHaproxyCheckCertificate(dir, socket, options);
  io.log(`HAProxy presents ${swapped.name} now: serial ${swapped.serial}, issuer ${swapped.issuer}`);
}

async function rotateCa(
  dir: string,
  phase: string | undefined,
  settleSeconds: number,
  haproxySocket: string | undefined,
  io: PkiCommandIo,
): Promise<void> {
  if (!Number.isFinite(settleSeconds) || settleSeconds < 0)
    throw new Error('--settle-seconds must be a number ≥ 0');
  const begin = async () => {
    const begun = await beginCaRotation(dir);
    io.log(`begin: CA ${begun.newCaId} signs now; trusted: ${begun.trusted.join(', ')}`);
  };
  const reissue = async () => {
    const leaves = await reissueLeaves(dir);
    io.log(`reissue: ${leaves.length} certificate(s) issued by the new CA`);
    if (haproxySocket) await swapHaproxy(dir, haproxySocket, io);
  };
  const finish = async () => {
    const finished = await finishCaRotation(dir);
    io.log(
      `finish: only CA ${finished.trusted} trusted; removed ${finished.removed.join(', ') || 'nothing'}`,
    );
  };
  const settle = async () => {
    io.log(`waiting ${settleSeconds} s for every process to read the change...`);
    await io.sleep(settleSeconds * 1000);
  };
  if (phase === 'begin') return begin();
  if (phase === 'reissue') return reissue();
  if (phase === 'finish') return finish();
  if (phase !== undefined)
    throw new Error(`rotate-ca takes begin, reissue or finish (or nothing for all three)\n${USAGE}`);
  await begin();
  await settle();
  await reissue();
  await settle();
  await finish();
}

function printStatus(dir: string, io: PkiCommandIo): void {
  const status = pkiStatus(dir);
  io.log(`${dir}`);
  for (const ca of status.cas)
    io.log(
      `  CA ${ca.id}${ca.signing ? ' (signs)' : ''}${ca.trusted ? ' trusted' : ' NOT trusted'}` +
        `${ca.keyPresent ? '' : ' (no key here)'}, expires ${ca.notAfter.toISOString()}`,
    );
  for (const leaf of status.leaves)
    io.log(
      `  ${leaf.node}/${leaf.identity}: CA ${leaf.issuerCaId ?? 'unknown'}${leaf.signedBySigningCa ? '' : ' (older CA)'}, ` +
        `expires ${leaf.notAfter.toISOString()}`,
    );
}
