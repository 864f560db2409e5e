import { readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';
import { checkCertificateSwapOf } from './haproxy-runtime';

const ports = { auth: 1, audit: 2, orchestrator: 3, executor: 4, artifacts: 5 };

/**
 * The swap reads its socket and certificate from the config HAProxy runs: this holds it to the
 * project's own template, so a change there (another `crt`, the socket line) cannot silently leave
 * reloadCheckCertificate swapping the wrong certificate or none.
 */
describe(checkCertificateSwapOf.name, () => {
  it("finds the admin socket and the gRPC servers' check certificate, not the users' certificate", () => {
    const config = renderHaproxyConfig(readHaproxyTemplate(), {
      publicBindHost: '127.0.0.1',
      internalBindHost: '127.0.0.2',
      httpPort: 18080,
      httpsPort: 18443,
      publicTlsCertificate: '/etc/flotilla/public-tls/haproxy.pem',
      statsPort: 18404,
      stats: { username: 'admin', password: 'stats-password-1' },
      grpcPorts: ports,
      nodes: [{ name: 'node-1', host: '127.0.0.1', httpPort: 20000, grpcPorts: ports }],
      checkCertificate: '/pki/services/load-balancer/haproxy.crt',
      adminSocket: '/run/flotilla-haproxy.sock',
    });
    expect(checkCertificateSwapOf(config)).toEqual({
      adminSocket: '/run/flotilla-haproxy.sock',
      certificate: '/pki/services/load-balancer/haproxy.crt',
      privateKey: '/pki/services/load-balancer/haproxy.key',
    });
  });

  it('finds nothing to swap in a config without an admin socket', () => {
    expect(
      checkCertificateSwapOf(
        'global\n    stats socket /run/s.sock mode 600 level user\nbackend b\n    server n 1.2.3.4:5 check crt /x.crt\n',
      ),
    ).toBeUndefined();
  });
});
