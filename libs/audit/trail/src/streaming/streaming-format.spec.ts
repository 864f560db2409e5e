import { createHmac } from 'node:crypto';

import { retryDelayMs, readAuditStreamSettings } from './stream-settings';
import type { StreamedEvent } from './streamed-event';
import { escapeSdParamValue, octetCountedFrame, syslogMessage } from './syslog-message';
import { verifyWebhookSignature, webhookSignature } from './webhook-signature';

const event: StreamedEvent = {
  id: '0b8a3c1e-6f0e-4b43-9e1a-3f1f2d4c5b6a',
  sequence: 42,
  occurredAt: '2026-12-02T04:05:06.789Z',
  recordedAt: '2026-12-02T04:05:06.800Z',
  actor: { id: 'u-1', name: 'ali"ce\\]' },
  action: 'project.created',
  resource: { type: 'project', id: 'p]1' },
  details: { name: 'Web\nshop' },
  clientIp: '2001:db8::1',
  forwardedFor: '',
  source: 'orchestrator',
  chainHash: 'ab'.repeat(32),
  signInMethod: 'password',
  apiKeyId: '',
  socketPeer: '127.0.0.1',
  nodeName: 'node-a',
  requestId: 'r1',
  outcome: 'success',
  projectId: 'p1',
  environmentId: '',
};

describe('webhook signature', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', 'a-secret-of-16-chars')
      .update('1764648306.{"events":[]}')
      .digest('hex');
    expect(webhookSignature('a-secret-of-16-chars', 1764648306, '{"events":[]}')).toBe(
      `t=1764648306,v1=${expected}`,
    );
  });

  it('verifies for the receiver, and refuses a stale time, another body, another secret or a bad header', () => {
    const body = '{"events":[1]}';
    const header = webhookSignature('s3cret-s3cret-s3cret', 1000, body);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', header, body, 1100)).toBe(true);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', header, body, 1000 + 301)).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', header, '{"events":[2]}', 1000)).toBe(false);
    expect(verifyWebhookSignature('another-secret-here', header, body, 1000)).toBe(false);
    expect(
      verifyWebhookSignature('s3cret-s3cret-s3cret', header.replace('t=1000', 't=1001'), body, 1000),
    ).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', 'v1=abc', body, 1000)).toBe(false);
  });
});

describe('RFC 5424 message', () => {
  it('escapes ", \\ and ] in SD-PARAM values (§6.3.3) and nothing else', () => {
    expect(escapeSdParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
  });

  it('has PRI, version, UTC time, host, app, msgid, structured data and the event JSON', () => {
    const message = syslogMessage(event, 'node a', 'local0');
    // local0 (16) * 8 + notice (5) = 133
    expect(message).toMatch(
      /^<133>1 2026-12-02T04:05:06\.789Z node_a flotilla - project\.created \[flotilla@32473 id="0b8a3c1e-6f0e-4b43-9e1a-3f1f2d4c5b6a" sequence="42" /,
    );
    expect(message).toContain('actorName="ali\\"ce\\\\\\]"');
    expect(message).toContain('resourceId="p\\]1"');
    expect(message).toContain('clientIp="2001:db8::1"]');
    const json = message.slice(message.indexOf('\ufeff') + 1);
    expect(JSON.parse(json)).toEqual(event);
    expect(syslogMessage(event, 'h', 'auth')).toMatch(/^<37>1 /);
  });

  it('frames by octet count (RFC 6587), multi-byte characters counted in bytes', () => {
    const frame = octetCountedFrame('é\nx');
    expect(frame.toString('utf8')).toBe('4 é\nx');
  });
});

describe('retry backoff', () => {
  const settings = { minBackoffMs: 1000, maxBackoffMs: 60_000 };

  it('doubles from the minimum and stops at the cap', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 7, 8, 50].map((n) => retryDelayMs(n, settings, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 60_000, 60_000, 60_000,
    ]);
  });

  it('takes at most 20 % off at random', () => {
    expect(retryDelayMs(3, settings, () => 0.999)).toBe(Math.round(4000 * (1 - 0.2 * 0.999)));
  });
});

describe(readAuditStreamSettings.name, () => {
  it('has production defaults', () => {
    expect(readAuditStreamSettings({})).toEqual({
      leaseMs: 30_000,
      pollMs: 1_000,
      batchSize: 100,
      minBackoffMs: 1_000,
      maxBackoffMs: 60_000,
      sendTimeoutMs: 10_000,
    });
  });

  it('names every bad variable at once', () => {
    expect(() =>
      readAuditStreamSettings({
        FLOTILLA_AUDIT_STREAM_LEASE_MS: 'soon',
        FLOTILLA_AUDIT_STREAM_BATCH: '0',
        FLOTILLA_AUDIT_STREAM_MIN_BACKOFF_MS: '5000',
        FLOTILLA_AUDIT_STREAM_MAX_BACKOFF_MS: '100',
      }),
    ).toThrow(/LEASE_MS must be a whole number[\s\S]*BATCH must be[\s\S]*MAX_BACKOFF_MS must not be below/);
    expect(() => readAuditStreamSettings({ FLOTILLA_AUDIT_STREAM_LEASE_MS: '4000' })).toThrow(
      /SEND_TIMEOUT_MS \(10000\) must be at most half of FLOTILLA_AUDIT_STREAM_LEASE_MS \(4000\)/,
    );
  });
});
