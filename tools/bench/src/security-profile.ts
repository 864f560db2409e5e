import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { startFlotillaNode, startPostgresServer } from '@flotilla/testing';

import { BenchApi } from './bench-cluster';
import { readOptions, wholeNumber } from './bench-options';
import { runBenchmark } from './bench-runner';
import { cpuBetween, cpuSnapshot, machineBusySeconds } from './process-cpu';
import { progress } from './report';
import { serviceOfProfile, summarizeProfile } from './security-profile-analysis';

const USAGE = `Where the CPU of an authenticated REST request goes (issue 9's security overhead): one node
(npm start's launcher) with every service sampled by the inspector, closed-loop GETs straight to the
gateway, then per service: CPU time per request (/proc, worker threads included, e.g. crypto on
libuv's pool) and the share of the main thread's samples spent in each security step. The machine's
load shows in every figure: compare shares and runs made side by side, not absolute times.
Usage: SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/src/security-profile.ts [options]`;

const options = readOptions(USAGE, {
  seconds: { default: '20', help: 'measured seconds of load' },
  warmup: { default: '5', help: 'unmeasured seconds of load first' },
  clients: { default: '8', help: 'concurrent keep-alive clients' },
  keep: { help: 'a folder to copy the .cpuprofile files to (open them in Chrome DevTools)' },
});

const PATHS = ['/api/projects', '/api/tasks?take=30'];
const SERVICES = ['gateway', 'task-orchestrator', 'auth', 'audit'];
const TICKS_PER_SECOND = 100;

function get(agent: Agent, url: URL, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.once('error', reject);
    outgoing.end();
  });
}

async function load(baseUrl: string, token: string, clients: number, ms: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const until = Date.now() + ms;
  let ok = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let turn = client; Date.now() < until; turn += 1) {
        const status = await get(agent, new URL(PATHS[turn % PATHS.length], baseUrl), token);
        if (status !== 200) throw new Error(`GET ${PATHS[turn % PATHS.length]}: ${status}`);
        ok += 1;
      }
    }),
  );
  agent.destroy();
  return ok;
}

/**
 * The node's service processes, by service: each process the hook was preloaded into (only this
 * node's, NODE_OPTIONS is set for it alone) leaves `<pid>.process` naming its entry script.
 */
function serviceProcesses(profileDir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const file of readdirSync(profileDir)) {
    if (!file.endsWith('.process')) continue;
    const service = /apps\/([a-z-]+)\/src\/main\.ts/.exec(readFileSync(join(profileDir, file), 'utf8'))?.[1];
    if (service) found.set(service, Number(file.slice(0, -'.process'.length)));
  }
  return found;
}

/** User + system CPU of a process, all threads, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Preloaded into every process of the node (NODE_OPTIONS forbids --cpu-prof): samples the main
 * thread from start-up, says which process it is, and writes the profile on SIGUSR2 (the services end by re-raising
 * SIGTERM, which skips exit handlers; nothing in them listens to SIGUSR2).
 */
const PROFILER_HOOK = `
const { Session } = require('node:inspector');
const { writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });
session.post('Profiler.start');
writeFileSync(join(process.env.FLOTILLA_PROFILE_DIR, process.pid + '.process'), process.argv.join(' '));
process.once('SIGUSR2', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    const file = join(process.env.FLOTILLA_PROFILE_DIR, process.pid + '.cpuprofile');
    writeFileSync(file + '.part', JSON.stringify(result.profile));
    renameSync(file + '.part', file);
  });
});
`;

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

runBenchmark(async (teardown) => {
  const seconds = wholeNumber('seconds', options.seconds, 1, 600);
  const warmup = wholeNumber('warmup', options.warmup, 0, 600);
  const clients = wholeNumber('clients', options.clients, 1, 256);
  const profileDir = mkdtempSync(join(tmpdir(), 'flotilla-security-profile-'));
  await teardown.use('profiles', Promise.resolve(profileDir), (dir) =>
    rm(dir, { recursive: true, force: true }),
  );
  if (!process.env['FLOTILLA_TEST_PG_BASE_URL']) {
    const server = await teardown.use('PostgreSQL', startPostgresServer(), (started) => started.stop());
    process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
  }
  const hook = join(profileDir, 'profiler-hook.js');
  writeFileSync(hook, PROFILER_HOOK);
  progress('starting a node with every process under --cpu-prof');
  const node = await teardown.use(
    'node',
    startFlotillaNode({
      env: { NODE_OPTIONS: `--require ${hook}`, FLOTILLA_PROFILE_DIR: profileDir, FLOTILLA_TASK_CAP: '0' },
    }),
    (started) => started.stop(),
  );
  const api = await BenchApi.signIn(node.baseUrl, node);
  const token = await api.token(node);
  for (let index = 1; index <= 5; index += 1) await api.release(`Profile ${index}`, 'echo profiled');
  const pids = serviceProcesses(profileDir);
  const missing = SERVICES.filter((service) => !pids.has(service));
  if (missing.length) throw new Error(`no process found for ${missing.join(', ')}`);
  progress(`warming up ${warmup} s`);
  await load(node.baseUrl, token, clients, warmup * 1000);
  const cpuBefore = new Map(SERVICES.map((service) => [service, cpuSeconds(pids.get(service) as number)]));
  const machineBefore = cpuSnapshot();
  const busyBefore = machineBusySeconds();
  const fromUs = monotonicUs();
  progress(`measuring ${seconds} s with ${clients} clients`);
  const requests = await load(node.baseUrl, token, clients, seconds * 1000);
  const toUs = monotonicUs();
  const busySpent = machineBusySeconds() - busyBefore;
  const byGroup = cpuBetween(machineBefore, cpuSnapshot());
  const cpuAfter = new Map(SERVICES.map((service) => [service, cpuSeconds(pids.get(service) as number)]));
  progress('collecting the profiles');
  for (const pid of pids.values()) process.kill(pid, 'SIGUSR2');
  const written = (pid: number): boolean => existsSync(join(profileDir, `${pid}.cpuprofile`));
  const deadline = Date.now() + 60_000;
  while (![...pids.values()].every(written) && Date.now() < deadline)
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  await teardown.release(node);

  const perRequestUs = (cpuSeconds: number): string => `${((cpuSeconds * 1e6) / requests).toFixed(1)} us/req`;
  const lines = [
    `${requests} requests in ${seconds} s (${(requests / seconds).toFixed(0)}/s); load average ${loadavg()[0]?.toFixed(1)}`,
    '',
    `== the whole machine: ${perRequestUs(busySpent)} busy (/proc/stat), by process (all threads, /proc/<pid>/stat):`,
    ...[...byGroup]
      .sort(([, a], [, b]) => b - a)
      .filter(([, spent]) => spent * 1e6 >= requests) // at least 1 µs per request
      .map(([group, spent]) => `  ${group.padEnd(46)} ${perRequestUs(spent).padStart(14)}`),
  ];
  for (const file of readdirSync(profileDir)) {
    if (!file.endsWith('.cpuprofile')) continue;
    const path = join(profileDir, file);
    if (options.keep) cpSync(path, join(options.keep, file));
    const service = serviceOfProfile(path);
    if (!service || !SERVICES.includes(service)) continue;
    const cpuUs = ((cpuAfter.get(service) ?? 0) - (cpuBefore.get(service) ?? 0)) * 1e6;
    const summary = summarizeProfile(path, fromUs, toUs);
    const perRequest = (us: number): string => `${(us / requests).toFixed(1)} us/req`;
    lines.push(
      '',
      `== ${service}: CPU ${perRequest(cpuUs)} (all threads, /proc); main thread sampled ${perRequest(summary.busyUs)}`,
    );
    for (const [category, us] of summary.byCategory) {
      if (us === 0) continue;
      lines.push(
        `  ${category.padEnd(46)} ${perRequest(us).padStart(14)}  ${((100 * us) / summary.busyUs).toFixed(1).padStart(5)} % of main thread`,
      );
    }
    lines.push('  top self time:');
    for (const { name, us } of summary.topSelf.slice(0, 15))
      lines.push(`    ${((100 * us) / summary.busyUs).toFixed(1).padStart(5)} %  ${name}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return true;
});
