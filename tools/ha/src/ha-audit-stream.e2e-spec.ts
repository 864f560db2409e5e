import { Client } from 'pg';

import { ApiClient, eventually, FlotillaCluster, startFlotillaCluster } from '@flotilla/testing';

// The receivers the audit trail's own integration spec uses: real HTTPS on 127.0.0.1, a private CA.
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  ReceiverCertificates,
  receiverCertificates,
  WebhookReceiver,
} from '../../../libs/audit/trail/src/streaming/stream-receivers.test-support';

import { stopKeepingOutput } from './ha-cluster-teardown';

const SECRET = 'ha-audit-stream-secret-0123456789';
/** Short for the test: a lost node's destinations move within about this long. */
const LEASE_MS = 3000;

interface DestinationHealth {
  id: string;
  state: string;
  backlog: number;
  lagMs: number;
  lastError?: string;
  deliveredBy?: string;
}

const log = (line: string) => process.stdout.write(`[ha-audit-stream] ${line}\n`);

/**
 * Streaming the trail on a two-node cluster behind real HAProxy: a webhook receiver on 127.0.0.1
 * (its own CA handed to the destination), events flowing from environment changes through both
 * nodes. The audit service delivering the destination is SIGKILLed mid-stream; the other node's
 * takes the lease once it expires and resumes from the cursor. The receiver is also down a while
 * (503), its backlog visible on the health endpoint. In the end every event of the trail after the
 * destination's creation reached the receiver: none missing, any duplicate the same event (same id
 * and chain number), every batch signed.
 */
describe('audit trail streaming on a two-node cluster', () => {
  let cluster: FlotillaCluster;
  let api: ApiClient;
  let certificates: ReceiverCertificates;
  let receiver: WebhookReceiver;
  let db: Client;
  let streamId: string;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({
      nodes: 2,
      env: {
        FLOTILLA_AUDIT_STREAM_LEASE_MS: String(LEASE_MS),
        FLOTILLA_AUDIT_STREAM_POLL_MS: '200',
        FLOTILLA_AUDIT_STREAM_BATCH: '10',
        FLOTILLA_AUDIT_STREAM_MIN_BACKOFF_MS: '100',
        FLOTILLA_AUDIT_STREAM_MAX_BACKOFF_MS: '1000',
        FLOTILLA_AUDIT_STREAM_SEND_TIMEOUT_MS: '1000',
      },
    });
    api = new ApiClient(cluster.baseUrl);
    expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    certificates = receiverCertificates();
    receiver = await WebhookReceiver.start(certificates, SECRET);
    db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
  }, 300_000);

  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await stopKeepingOutput(cluster);
  }, 60_000);

  /**
   * The destination on the health endpoint; undefined while the audit service answering it is
   * unreachable (right after the kill, HAProxy may still send a call to the dead one).
   */
  async function destination(): Promise<DestinationHealth | undefined> {
    const response = await api.get<{ auditStreams?: { destinations: DestinationHealth[] } }>(
      '/api/health/diagnostics',
    );
    return response.body.auditStreams?.destinations.find((d) => d.id === streamId);
  }

  /** Changes environments through HAProxy until stopped: each one an event in the trail. */
  function writeUntilStopped(): { stop: () => Promise<number> } {
    let running = true;
    let written = 0;
    const loop = (async () => {
      while (running) {
        const response = await api
          .post('/api/environments', { name: `stream-${Date.now()}-${written}` })
          .catch(() => undefined);
        if (response?.status === 201) written += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return written;
      },
    };
  }

  it('delivers every event once the delivering node is killed and the receiver was down a while', async () => {
    const plain = await api.post<{ message: string }>('/api/audit-streams', {
      name: 'plain http',
      kind: 'webhook',
      target: receiver.url.replace('https:', 'http:'),
      secret: SECRET,
    });
    expect(plain.status).toBe(400);
    expect(JSON.stringify(plain.body)).toContain('must be https');

    const created = await api.post<{ id: string }>('/api/audit-streams', {
      name: 'HA SIEM',
      kind: 'webhook',
      target: receiver.url,
      secret: SECRET,
      caPem: certificates.caPem,
    });
    expect(created.status).toBe(201);
    streamId = created.body.id;
    const listed = await api.get<{ items: { id: string; hasSecret: boolean }[] }>('/api/audit-streams');
    expect(listed.body.items.find((item) => item.id === streamId)).toMatchObject({ hasSecret: true });
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);

    const writes = writeUntilStopped();
    let written = 0;
    try {
      const first = await eventually(
        async () => {
          const d = await destination();
          return receiver.delivered().length >= 20 && d?.deliveredBy ? d : undefined;
        },
        60_000,
        'the first deliveries',
      );
      const victimName = first.deliveredBy ?? '';
      const victim = cluster.nodes.find((node) => node.name === victimName)!;
      const survivor = cluster.nodes.find((node) => node.name !== victimName)!;
      const deliveredAtKill = receiver.delivered().length;
      victim.signalService('audit', 'SIGKILL');
      const killedAt = Date.now();
      await cluster.refresh();
      log(`SIGKILL the audit service of ${victimName} after ${deliveredAtKill} events delivered`);

      await eventually(
        async () => {
          const d = await destination();
          return d?.deliveredBy === survivor.name && receiver.delivered().length > deliveredAtKill + 10
            ? d
            : undefined;
        },
        30_000,
        `delivery resumed on ${survivor.name}`,
      );
      const takeoverMs = Date.now() - killedAt;
      log(`delivery resumed on ${survivor.name} ${takeoverMs} ms after the kill (lease ${LEASE_MS} ms)`);
      expect(takeoverMs).toBeLessThan(LEASE_MS + 10_000);

      receiver.failWith = 503;
      const down = await eventually(
        async () => {
          const d = await destination();
          return d?.state === 'failing' && d.backlog > 5 ? d : undefined;
        },
        30_000,
        'the backlog on the health endpoint while the receiver is down',
      );
      log(
        `receiver down: health shows backlog ${down.backlog}, lag ${down.lagMs} ms, error "${down.lastError}"`,
      );
      expect(down.lastError).toContain('HTTP 503');
      receiver.failWith = undefined;
      await victim.start();
    } finally {
      written = await writes.stop();
    }

    // Outbox relays may still carry the last writes to the trail: take the head once they are in,
    // then wait for the cursor to reach it.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const head = Number(
      (await db.query<{ n: string }>('SELECT sequence_number AS n FROM audit_chain_head')).rows[0].n,
    );
    await eventually(
      async () => {
        const row = await db.query<{ c: string }>(
          'SELECT cursor_sequence AS c FROM audit_streams WHERE id = $1',
          [streamId],
        );
        return Number(row.rows[0].c) >= head ? true : undefined;
      },
      60_000,
      `the cursor to reach the head (${head})`,
    );
    const drained = await eventually(destination, 30_000, 'the destination on the health endpoint');
    expect(drained.lastError).toBeUndefined();

    const delivered = receiver.delivered();
    const start = delivered.find(
      (event) => event.action === 'audit-stream.created' && event.resource.id === streamId,
    );
    expect(start).toBeDefined();
    const trail = await db.query<{ id: string; sequence_number: string; action: string }>(
      'SELECT id, sequence_number, action FROM audit_events WHERE sequence_number BETWEEN $1 AND $2 ORDER BY sequence_number',
      [start!.sequence, head],
    );
    expect(trail.rows.length).toBe(head - start!.sequence + 1);
    const deliveredIds = new Set(delivered.map((event) => event.id));
    const missing = trail.rows.filter((row) => !deliveredIds.has(row.id));
    expect(missing).toEqual([]);
    // A duplicate is the same event again: one chain number per id.
    const numberOf = new Map<string, number>();
    for (const event of delivered) {
      expect(numberOf.get(event.id) ?? event.sequence).toBe(event.sequence);
      numberOf.set(event.id, event.sequence);
    }
    expect(receiver.batches.every((batch) => batch.signatureValid)).toBe(true);
    log(
      `${written} environments written; ${trail.rows.length} events in the trail since the destination; ` +
        `${delivered.length} delivered (${delivered.length - deliveredIds.size} duplicates), ${receiver.batches.length} POSTs`,
    );
  }, 300_000);
});
