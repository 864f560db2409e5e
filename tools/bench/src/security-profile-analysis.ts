import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (node --cpu-prof) this analysis reads. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where the security work of a request shows in a stack. A sample counts for a category when a
 * frame of its stack matches (inclusive time), once per sample, unless an Express router frame
 * comes first walking up from the sample: middleware calls next() inside its own frame, and what
 * the next middleware does (serve-static's stat, the route) is not the middleware's cost.
 */
export const SECURITY_CATEGORIES: ReadonlyArray<{ name: string; matches: (frame: ProfileNode) => boolean }> =
  [
    { name: 'caller token: mint (gateway)', matches: (f) => /caller-token-minter/.test(f.callFrame.url) },
    {
      name: 'caller token: verify (service)',
      matches: (f) => /caller-token-verifier/.test(f.callFrame.url),
    },
    { name: 'jose (any)', matches: (f) => /node_modules\/jose\//.test(f.callFrame.url) },
    {
      name: 'peer certificate (getPeerCertificate)',
      matches: (f) => f.callFrame.functionName.endsWith('getPeerCertificate'),
    },
    {
      name: 'peer identity (incl. its certificate read)',
      matches: (f) => /peer-identity/.test(f.callFrame.url),
    },
    {
      name: 'call authorization: decide (server)',
      matches: (f) =>
        /server-call-authorization/.test(f.callFrame.url) && /^decide/.test(f.callFrame.functionName),
    },
    {
      name: 'caller token: attach (client)',
      matches: (f) =>
        /client-caller-token/.test(f.callFrame.url) && /^withCallerToken/.test(f.callFrame.functionName),
    },
    { name: 'helmet (own work)', matches: (f) => /node_modules\/helmet\//.test(f.callFrame.url) },
    {
      name: 'security headers / CSP nonce (own work)',
      matches: (f) => /security-headers/.test(f.callFrame.url),
    },
  ];

/** The name of the line summing every category above once per sample. */
export const ANY_SECURITY_WORK = 'security work (any of the above, once)';

const isRouterFrame = (frame: ProfileNode): boolean =>
  /node_modules\/(router|express)\//.test(frame.callFrame.url);

export interface ProfileSummary {
  /** Sampled µs inside the window (idle excluded). */
  busyUs: number;
  idleUs: number;
  byCategory: Map<string, number>;
  topSelf: Array<{ name: string; us: number }>;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules\/|libs\/|apps\/|tools\/)/, '$1');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

/** Sums the profile's samples taken between fromUs and toUs (V8 monotonic clock, µs). */
export function summarizeProfile(file: string, fromUs: number, toUs: number, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const categoriesOf = new Map<number, Set<string>>();
  // The categories a sample at `id` counts for: its own frame's, then its caller's unless the frame
  // is the router's (see SECURITY_CATEGORIES).
  const categories = (id: number): Set<string> => {
    const known = categoriesOf.get(id);
    if (known) return known;
    const node = byId.get(id) as ProfileNode;
    const parent = parentOf.get(id);
    const found = new Set(parent === undefined || isRouterFrame(node) ? [] : categories(parent));
    for (const category of SECURITY_CATEGORIES) if (category.matches(node)) found.add(category.name);
    categoriesOf.set(id, found);
    return found;
  };
  const byCategory = new Map<string, number>([
    ...SECURITY_CATEGORIES.map((c): [string, number] => [c.name, 0]),
    [ANY_SECURITY_WORK, 0],
  ]);
  const self = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < fromUs || at > toUs) continue;
    const node = byId.get(profile.samples[index]) as ProfileNode;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    busyUs += delta;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + delta);
    const counted = categories(node.id);
    for (const category of counted) byCategory.set(category, (byCategory.get(category) ?? 0) + delta);
    if (counted.size > 0) byCategory.set(ANY_SECURITY_WORK, (byCategory.get(ANY_SECURITY_WORK) ?? 0) + delta);
  }
  const topSelf = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, us }));
  return { busyUs, idleUs, byCategory, topSelf };
}

/** The service a profile belongs to: the app whose main.ts its process ran. */
export function serviceOfProfile(file: string): string | undefined {
  const text = readFileSync(file, 'utf8');
  return /\/apps\/([a-z-]+)\/src\/main\.ts/.exec(text)?.[1];
}
