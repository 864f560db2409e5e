import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BackendNode, HaproxyLayout, readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';

function node(index: number): BackendNode {
  const base = 20_000 + index * 10;
  return {
    name: `node-${index}`,
    host: '127.0.0.1',
    httpPort: base,
    grpcPorts: {
      auth: base + 1,
      audit: base + 2,
      orchestrator: base + 3,
      executor: base + 4,
      artifacts: base + 5,
    },
  };
}

const LAYOUT: HaproxyLayout = {
  bindHost: '127.0.0.1',
  httpPort: 18080,
  statsPort: 18404,
  grpcPorts: { auth: 18051, audit: 18055, orchestrator: 18052, executor: 18053, artifacts: 18054 },
  nodes: [node(1), node(2)],
};

/** The lines of one `frontend`/`backend` section, trimmed. */
function section(config: string, header: string): string[] {
  const lines = config.split('\n');
  const start = lines.findIndex((line) => line.trim() === header);
  if (start < 0) throw new Error(`no section ${header}`);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    if (line.trim() && !line.trim().startsWith('#')) body.push(line.trim());
  }
  return body;
}

describe(renderHaproxyConfig.name, () => {
  const sut = renderHaproxyConfig(readHaproxyTemplate(), LAYOUT);

  it('fills every placeholder', () => {
    expect(sut).not.toMatch(/\{\{/);
  });

  it('sends users to the gateways, checked by the health ping, with retries and redispatch', () => {
    expect(section(sut, 'frontend http_in')).toEqual(
      expect.arrayContaining(['bind 127.0.0.1:18080', 'option forwardfor', 'default_backend gateways']),
    );
    expect(section(sut, 'backend gateways')).toEqual(
      expect.arrayContaining([
        'option httpchk GET /api/health/ping',
        'http-check expect status 200',
        'retries 3',
        'option redispatch',
        'retry-on all-retryable-errors',
        'server node-1 127.0.0.1:20010 check',
        'server node-2 127.0.0.1:20020 check',
      ]),
    );
  });

  it('answers 503 with Retry-After itself when no gateway is in the pool', () => {
    const ownError = section(sut, 'backend gateways').filter((line) =>
      line.startsWith('http-error status 503'),
    );
    expect(ownError).toEqual([
      expect.stringMatching(/content-type application\/json hdr Retry-After \d+ string '\{.*\}'$/),
    ]);
  });

  it('gives every gRPC service an h2c frontend and backend over all nodes', () => {
    expect(section(sut, 'frontend grpc_orchestrator')).toEqual([
      'bind 127.0.0.1:18052 proto h2',
      'default_backend grpc_orchestrator_servers',
    ]);
    expect(section(sut, 'backend grpc_orchestrator_servers')).toEqual(
      expect.arrayContaining([
        'option redispatch',
        'server node-1 127.0.0.1:20013 proto h2 check check-proto h2 on-marked-down shutdown-sessions',
        'server node-2 127.0.0.1:20023 proto h2 check check-proto h2 on-marked-down shutdown-sessions',
      ]),
    );
    for (const service of ['auth', 'audit', 'executor', 'artifacts']) {
      expect(
        section(sut, `backend grpc_${service}_servers`).filter((line) =>
          line.includes('proto h2 check check-proto h2 on-marked-down shutdown-sessions'),
        ),
      ).toHaveLength(2);
    }
  });

  it('checks gRPC servers with an HTTP/2 request a live grpc-js server refuses with 415', () => {
    for (const service of ['auth', 'audit', 'orchestrator', 'executor', 'artifacts']) {
      expect(section(sut, `backend grpc_${service}_servers`)).toEqual(
        expect.arrayContaining([
          'http-check send meth GET uri /flotilla.health ver HTTP/1.1 hdr host flotilla',
          'http-check expect status 415',
        ]),
      );
    }
  });

  it('keeps timeouts generous enough for large uploads and log streams', () => {
    expect(sut).toMatch(/^\s+timeout client 1h$/m);
    expect(sut).toMatch(/^\s+timeout server 1h$/m);
  });

  it('serves the stats page and binds nothing beyond the loopback address', () => {
    expect(section(sut, 'frontend stats')).toEqual(
      expect.arrayContaining(['bind 127.0.0.1:18404', 'stats uri /stats']),
    );
    const binds = sut.split('\n').filter((line) => line.trim().startsWith('bind '));
    expect(binds).toHaveLength(7);
    for (const bind of binds) expect(bind.trim()).toMatch(/^bind 127\.0\.0\.1:\d+/);
  });

  it('brackets IPv6 backend addresses and tidies node names', () => {
    const ipv6 = renderHaproxyConfig(readHaproxyTemplate(), {
      ...LAYOUT,
      nodes: [{ ...node(1), name: 'web 1', host: '::1' }],
    });
    expect(ipv6).toContain('server web_1 [::1]:20010 check');
  });

  it('refuses a template with a placeholder it does not know', () => {
    expect(() => renderHaproxyConfig('bind {{NOPE}}', LAYOUT)).toThrow('NOPE');
  });

  it('refuses an empty cluster', () => {
    expect(() => renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, nodes: [] })).toThrow();
  });
});

// .ci/run installs haproxy; without it this fails rather than skips.
describe('rendered config under the real haproxy', () => {
  it('passes `haproxy -c`', () => {
    const folder = mkdtempSync(join(tmpdir(), 'flotilla-haproxy-'));
    try {
      const path = join(folder, 'haproxy.cfg');
      writeFileSync(path, renderHaproxyConfig(readHaproxyTemplate(), LAYOUT));
      const check = spawnSync('haproxy', ['-c', '-f', path], { encoding: 'utf8' });
      expect({ status: check.status, output: check.stdout + check.stderr }).toMatchObject({ status: 0 });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
