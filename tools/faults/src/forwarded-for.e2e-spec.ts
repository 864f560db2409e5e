import { isIP } from 'node:net';

import { ApiClient, FlotillaCluster, startFlotillaCluster } from '@flotilla/testing';

import { performAuditedActions, RecordedEvent } from './xff-support/audited-actions';
import { expectedClientIp } from './xff-support/expected-client-ip';
import { cleanUpAll, keepClusterOutput } from './support/spec-cleanup';

/** The cluster launcher trusts exactly this proxy address (FLOTILLA_TRUSTED_PROXIES), HAProxy's. */
const TRUSTED_PROXY = '127.0.0.1';
const FORWARDED_FOR_MAX = 1024;

const SOURCES = [
  { name: 'a trusted source (127.0.0.1)', address: TRUSTED_PROXY },
  { name: 'an untrusted source (127.0.0.2)', address: '127.0.0.2' },
];

const HEADERS = [
  { name: '2 KB of text', value: 'not an address; '.repeat(128) },
  { name: 'non-IP text', value: '<script>x</script>' },
  { name: 'a full-length IPv6 address', value: '2001:db8:85a3:8d3:1319:8a2e:370:7348' },
  { name: 'an IPv4-mapped address', value: '::ffff:203.0.113.9' },
];

type Route = 'through HAProxy' | 'direct to the gateway';

/** Every route × source × header; Jest titles come from the first three fields. */
const CASES = (['through HAProxy', 'direct to the gateway'] as Route[]).flatMap((route) =>
  SOURCES.flatMap((source) =>
    HEADERS.map((header) => [route, source.name, header.name, source.address, header.value] as const),
  ),
);

/**
 * X-Forwarded-For a client controls: long text, text that is no address, IPv6, IPv4-mapped — sent
 * through HAProxy (which appends the real peer) and straight to a node's gateway, from the trusted
 * proxy's address and from another loopback address. Whatever the header, every audited action
 * works, a failed sign-in is audited, the recorded client IP is a valid address — the one the
 * trust chain gives — and the raw header is kept, bounded, beside it.
 */
describe('X-Forwarded-For from clients and proxies', () => {
  let cluster: FlotillaCluster;
  let admin: ApiClient;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({ nodes: 1, redis: false });
    admin = new ApiClient(cluster.baseUrl);
    expect((await admin.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    await cleanUpAll([() => keepClusterOutput(cluster, 'forwarded-for'), async () => cluster?.stop()]);
  }, 60_000);

  it.each(CASES)('%s from %s with %s', async (route, _source, _header, sourceAddress, headerValue) => {
    const viaHaproxy = route === 'through HAProxy';
    const outcome = await performAuditedActions(admin, {
      baseUrl: viaHaproxy ? cluster.baseUrl : cluster.nodes[0].baseUrl,
      localAddress: sourceAddress,
      forwardedFor: headerValue,
    });
    expect(outcome.statuses).toEqual({ signIn: 200, createProject: 201, failedSignIn: 401 });

    // HAProxy (option forwardfor) adds its peer as another X-Forwarded-For line; Node joins the
    // lines with ", ", and the gateway's socket peer is HAProxy itself.
    // HTTP parsers drop the spaces around a field value (the 2 KB text ends with one).
    const headerSeen = viaHaproxy ? `${headerValue.trim()}, ${sourceAddress}` : headerValue.trim();
    const socketPeer = viaHaproxy ? TRUSTED_PROXY : sourceAddress;
    const clientIp = expectedClientIp(socketPeer, headerSeen, (address) => address === TRUSTED_PROXY);
    const events = await outcome.events();
    const seen = (event: RecordedEvent) => ({
      action: event.action,
      clientIp: event.clientIp,
      clientIpIsAnAddress: isIP(event.clientIp) !== 0,
      forwardedFor:
        headerSeen.length <= FORWARDED_FOR_MAX
          ? event.forwardedFor
          : `${event.forwardedFor?.length ?? 'no'} characters, bounded: ${
              (event.forwardedFor?.length ?? 0) > 0 && (event.forwardedFor?.length ?? 0) <= FORWARDED_FOR_MAX
            }, keeps the last hop: ${event.forwardedFor?.endsWith(headerSeen.slice(-40)) ?? false}`,
    });
    const expected = (action: string) => ({
      action,
      clientIp,
      clientIpIsAnAddress: true,
      forwardedFor:
        headerSeen.length <= FORWARDED_FOR_MAX
          ? headerSeen
          : (expect.stringMatching(/^\d+ characters, bounded: true, keeps the last hop: true$/) as unknown),
    });
    expect(events.map(seen)).toEqual(['user.login', 'project.created', 'user.login-failed'].map(expected));
  });
});
