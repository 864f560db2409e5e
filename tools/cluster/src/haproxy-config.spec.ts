import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureClusterPki, PkiLayout } from '@flotilla/platform/pki';

import { BackendNode, HaproxyLayout, readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';
import { ensurePublicTlsCertificate } from './haproxy-config-public-certificate';

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
  publicBindHost: '127.0.0.1',
  internalBindHost: '127.0.0.2',
  httpPort: 18080,
  httpsPort: 18443,
  publicTlsCertificate: '/etc/flotilla/public-tls/haproxy.pem',
  statsPort: 18404,
  stats: { username: 'admin', password: 'stats-password-1' },
  grpcPorts: { auth: 18051, audit: 18055, orchestrator: 18052, executor: 18053, artifacts: 18054 },
  nodes: [node(1), node(2)],
  checkCertificate: '/pki/services/lb/haproxy.crt',
  adminSocket: '/run/flotilla-haproxy.sock',
};

/** The sign-in rate limit in users' frontend, as rendered with the default rate (60 per 10 s). */
const SIGN_IN_RATE_LINES = [
  'stick-table type ipv6 size 100k expire 10m store http_req_rate(10s)',
  'acl sign_in_request method POST',
  'acl sign_in_path path -i -m reg ^/api/users/(login|password)/?$',
  'http-request track-sc0 src if sign_in_request sign_in_path',
  `http-request deny deny_status 429 content-type application/json string '{"statusCode":429,"error":"Too Many Requests","message":"Too many sign-in requests from this address; try again shortly"}' hdr Retry-After 10 if sign_in_request sign_in_path { sc_http_req_rate(0) gt 60 }`,
];

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

  it('serves users HTTPS only: TLS with the public certificate, HTTP/2 or 1.1, HSTS, the scheme set for the gateways', () => {
    expect(section(sut, 'frontend https_in')).toEqual([
      'bind 127.0.0.1:18443 ssl crt /etc/flotilla/public-tls/haproxy.pem alpn h2,http/1.1',
      'option httplog',
      'option forwardfor',
      'http-request set-header X-Forwarded-Proto https',
      'http-after-response set-header Strict-Transport-Security "max-age=31536000"',
      ...SIGN_IN_RATE_LINES,
      'default_backend gateways',
    ]);
    expect(section(sut, 'global')).toEqual(
      expect.arrayContaining([
        'ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
        expect.stringMatching(
          /^ssl-default-bind-ciphers (ECDHE-(ECDSA|RSA)-[A-Z0-9-]+(GCM-SHA\d+|POLY1305):?)+$/,
        ),
      ]),
    );
  });

  it('logs server state changes only, or every user request too when the access log is asked for', () => {
    expect(section(sut, 'global')).toContain('log stdout format raw local0 notice');
    const accessLogged = renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, accessLog: true });
    expect(section(accessLogged, 'global')).toContain('log stdout format raw local0 info');
  });

  it('answers plain HTTP with a 308 to the same path and query over HTTPS, and nothing else', () => {
    expect(section(sut, 'frontend http_in')).toEqual([
      'bind 127.0.0.1:18080',
      'http-request redirect code 308 location https://%[req.hdr(host),regsub(:[0-9]*$,)]:18443%[capture.req.uri]',
    ]);
    const standardPort = renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, httpsPort: 443 });
    expect(section(standardPort, 'frontend http_in')).toContain(
      'http-request redirect code 308 location https://%[req.hdr(host),regsub(:[0-9]*$,)]%[capture.req.uri]',
    );
  });

  it('rate-limits the sign-in routes per client address, answering 429 with Retry-After itself', () => {
    const custom = renderHaproxyConfig(readHaproxyTemplate(), {
      ...LAYOUT,
      signInRate: { requests: 5, periodSeconds: 30 },
    });
    const lines = section(custom, 'frontend https_in');
    expect(lines).toContain('stick-table type ipv6 size 100k expire 10m store http_req_rate(30s)');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /hdr Retry-After 30 if sign_in_request sign_in_path \{ sc_http_req_rate\(0\) gt 5 \}$/,
      ),
    );
  });

  it.each([
    { requests: 0, periodSeconds: 10 },
    { requests: 1.5, periodSeconds: 10 },
    { requests: 10, periodSeconds: 0 },
    { requests: 10, periodSeconds: 3601 },
  ])('refuses a sign-in rate HAProxy could not take: %j', (signInRate) => {
    expect(() => renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, signInRate })).toThrow(
      /sign-in rate must be/,
    );
  });

  it('sends users to the gateways, checked by the health ping, with retries and redispatch', () => {
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

  it('passes every gRPC service through as TCP, so mutual TLS runs from caller to server', () => {
    expect(section(sut, 'frontend grpc_orchestrator')).toEqual([
      'mode tcp',
      'bind 127.0.0.2:18052',
      'default_backend grpc_orchestrator_servers',
    ]);
    const check =
      'check check-ssl check-alpn h2 check-sni orchestrator.flotilla.internal verify none ' +
      'crt /pki/services/lb/haproxy.crt on-marked-down shutdown-sessions';
    expect(section(sut, 'backend grpc_orchestrator_servers')).toEqual(
      expect.arrayContaining([
        'mode tcp',
        'option redispatch',
        `server node-1 127.0.0.1:20013 ${check}`,
        `server node-2 127.0.0.1:20023 ${check}`,
      ]),
    );
    for (const service of ['auth', 'audit', 'executor', 'artifacts']) {
      const backend = section(sut, `backend grpc_${service}_servers`);
      expect(backend).toContain('mode tcp');
      expect(
        backend.filter(
          (line) =>
            line.includes(`check-ssl check-alpn h2 check-sni ${service}.flotilla.internal`) &&
            line.endsWith('on-marked-down shutdown-sessions'),
        ),
      ).toHaveLength(2);
    }
    // Nothing terminates TLS for gRPC: no `ssl` on a server or on any bind but users' HTTPS, no
    // `proto h2` bind or server.
    expect(sut.split('\n').filter((line) => / ssl /.test(line))).toEqual([
      '    bind 127.0.0.1:18443 ssl crt /etc/flotilla/public-tls/haproxy.pem alpn h2,http/1.1',
    ]);
    expect(sut).not.toMatch(/proto h2/);
  });

  it('checks gRPC servers with an HTTP/2 request over TLS that a live grpc-js server refuses with 415', () => {
    for (const service of ['auth', 'audit', 'orchestrator', 'executor', 'artifacts']) {
      expect(section(sut, `backend grpc_${service}_servers`)).toEqual(
        expect.arrayContaining([
          'option httpchk',
          `http-check send meth GET uri /flotilla.health ver HTTP/1.1 hdr host ${service}.flotilla.internal`,
          'http-check expect status 415',
        ]),
      );
    }
    expect(section(sut, 'global')).toEqual(
      expect.arrayContaining([
        'ssl-load-extra-del-ext',
        'stats socket /run/flotilla-haproxy.sock mode 600 level admin',
      ]),
    );
  });

  it('keeps timeouts generous enough for large uploads and log streams', () => {
    expect(sut).toMatch(/^\s+timeout client 1h$/m);
    expect(sut).toMatch(/^\s+timeout server 1h$/m);
  });

  it("binds users' HTTP and HTTPS on the public address, every gRPC frontend and the stats page on the internal one", () => {
    const binds = sut
      .split('\n')
      .filter((line) => line.trim().startsWith('bind '))
      .map((line) => line.trim().split(' ')[1]);
    expect(binds.sort()).toEqual(
      [
        '127.0.0.1:18080',
        '127.0.0.1:18443',
        '127.0.0.2:18051',
        '127.0.0.2:18052',
        '127.0.0.2:18053',
        '127.0.0.2:18054',
        '127.0.0.2:18055',
        '127.0.0.2:18404',
      ].sort(),
    );
  });

  it('serves the stats page only with its password', () => {
    expect(section(sut, 'frontend stats')).toEqual(
      expect.arrayContaining([
        'bind 127.0.0.2:18404',
        'stats uri /stats',
        'stats auth admin:stats-password-1',
      ]),
    );
  });

  it('refuses a stats password HAProxy would misread or that is too short', () => {
    for (const password of [
      'short',
      'has a space in it',
      'has#a-comment-sign',
      'quote"d-password',
      "quote'd-password",
    ])
      expect(() =>
        renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, stats: { username: 'admin', password } }),
      ).toThrow('stats password');
    expect(() =>
      renderHaproxyConfig(readHaproxyTemplate(), {
        ...LAYOUT,
        stats: { username: 'ad:min', password: 'long-enough-password' },
      }),
    ).toThrow('stats user name');
  });

  it('refuses one address for users and for the internal frontends', () => {
    expect(() =>
      renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, internalBindHost: LAYOUT.publicBindHost }),
    ).toThrow('must not face users');
  });

  it("refuses a layout without users' certificate", () => {
    expect(() => renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, publicTlsCertificate: '' })).toThrow(
      'publicTlsCertificate',
    );
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

  it('refuses a layout without the check certificate', () => {
    expect(() => renderHaproxyConfig(readHaproxyTemplate(), { ...LAYOUT, checkCertificate: '' })).toThrow(
      'checkCertificate',
    );
  });
});

// .ci/run installs haproxy; without it this fails rather than skips.
describe('rendered config under the real haproxy', () => {
  it("passes `haproxy -c` (which loads the check certificate, users' certificate and their keys)", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'flotilla-haproxy-'));
    try {
      const pki = join(folder, 'pki');
      await ensureClusterPki(pki, ['lb'], ['haproxy']);
      const path = join(folder, 'haproxy.cfg');
      const layout = {
        ...LAYOUT,
        checkCertificate: new PkiLayout(pki).leaf('lb', 'haproxy').certificate,
        adminSocket: join(folder, 'admin.sock'),
        publicTlsCertificate: (await ensurePublicTlsCertificate(join(folder, 'public-tls'), {})).bundlePath,
      };
      writeFileSync(path, renderHaproxyConfig(readHaproxyTemplate(), layout));
      const check = spawnSync('haproxy', ['-c', '-f', path], { encoding: 'utf8' });
      expect({ status: check.status, output: check.stdout + check.stderr }).toMatchObject({ status: 0 });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
