import { loadavg } from 'node:os';

import { trustingFetch } from '@flotilla/testing';

import { startAuditBenchNode } from './audit/audit-bench-node';
import { seedAuditTrail, TRAIL_SHAPE } from './audit/audit-trail-seed';
import { residentBytes, sampleResidentPeak, serviceProcessId } from './audit-export-processes';
import { BenchApi } from './bench-cluster';
import { readOptions, wholeNumber } from './bench-options';
import { runBenchmark } from './bench-runner';
import { formatTable, progress } from './report';

const USAGE = `Audit trail export rate (issue 11): a node (npm start's launcher, PostgreSQL) whose trail holds
--events events (seeded in SQL, ${TRAIL_SHAPE.days} days of them), exported whole through GET /api/events/export
as CSV and as signed JSONL (gateway, gRPC stream, audit service, keyset pages), read by a client as fast
as it takes them. Prints events/s, MB/s and the peak RSS of the gateway and the audit service.
Usage: npm run bench:audit-export -- [--events 1000000]`;

const options = readOptions(USAGE, {
  events: { default: '100000', help: 'events in the trail (e.g. 1000000)' },
  rounds: { default: '2', help: 'exports of each format (the figures are of the best)' },
});

const MB = 1024 * 1024;

interface Run {
  format: string;
  seconds: number;
  bytes: number;
  events: number;
  peakGateway: number;
  peakAudit: number;
}

runBenchmark(async (teardown) => {
  const events = wholeNumber('events', options.events, 1_000, 20_000_000);
  const rounds = wholeNumber('rounds', options.rounds, 1, 20);
  const { node, dataSource } = await startAuditBenchNode(teardown);
  progress(`seeding ${events.toLocaleString('en')} events`);
  await seedAuditTrail(dataSource, events, new Date(), (stored) =>
    progress(`  ${stored.toLocaleString('en')} stored`),
  );
  const api = await BenchApi.signIn(node.baseUrl, node);
  const token = await api.token(node);
  const pids = [await serviceProcessId(node, 'gateway'), await serviceProcessId(node, 'audit')];
  const before = await Promise.all(pids.map(residentBytes));

  const exportOnce = async (format: 'csv' | 'jsonl'): Promise<Run> => {
    const sampler = sampleResidentPeak(pids);
    const started = process.hrtime.bigint();
    const response = await trustingFetch(`${node.baseUrl}/api/events/export?format=${format}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status !== 200) throw new Error(`GET /api/events/export: ${response.status}`);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) lines++;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peaks = await sampler.stop();
    // CSV: a header line; JSONL: the manifest line. The trail's own events about reads come too.
    return {
      format,
      seconds,
      bytes,
      events: lines - 1,
      peakGateway: peaks.get(pids[0]) ?? 0,
      peakAudit: peaks.get(pids[1]) ?? 0,
    };
  };

  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const format of ['csv', 'jsonl'] as const) {
      progress(`export ${round}/${rounds} as ${format}`);
      runs.push(await exportOnce(format));
    }
  }
  const best = (format: string) =>
    runs.filter((run) => run.format === format).sort((a, b) => a.seconds - b.seconds)[0];
  const peak = (format: string, key: 'peakGateway' | 'peakAudit') =>
    Math.max(...runs.filter((run) => run.format === format).map((run) => run[key]));
  const rows = ['csv', 'jsonl'].map((format) => {
    const run = best(format);
    return [
      format,
      run.events.toLocaleString('en'),
      `${(run.bytes / MB).toFixed(1)} MB`,
      `${run.seconds.toFixed(1)} s`,
      Math.round(run.events / run.seconds).toLocaleString('en'),
      (run.bytes / MB / run.seconds).toFixed(1),
      `${(peak(format, 'peakGateway') / MB).toFixed(0)} MB`,
      `${(peak(format, 'peakAudit') / MB).toFixed(0)} MB`,
    ];
  });
  process.stdout.write(
    `\nGET /api/events/export of a trail of ${events.toLocaleString('en')} events (PostgreSQL, one node), ` +
      `best of ${rounds}, load average ${loadavg()[0]?.toFixed(1)}\n` +
      `RSS before the exports: gateway ${(before[0] / MB).toFixed(0)} MB, audit ${(before[1] / MB).toFixed(0)} MB\n\n` +
      formatTable(
        ['format', 'events', 'file', 'time', 'events/s', 'MB/s', 'peak RSS gateway', 'peak RSS audit'],
        rows,
      ) +
      '\n',
  );
  return true;
});
