import { status } from '@grpc/grpc-js';

import type { FlotillaService } from '@flotilla/contracts';
import { createCertificateAuthority, issueLeafCertificate } from '@flotilla/platform/pki';
import {
  ApiClient,
  ensureTestNodeCertificates,
  FlotillaCluster,
  FlotillaNode,
  freePorts,
  startFlotillaCluster,
  startFlotillaNode,
} from '@flotilla/testing';

import {
  Attack,
  AttackMaterial,
  HOSTILE_PROJECT,
  HOSTILE_USERNAME,
  hostileAttacks,
  sampledMethods,
} from './hostile-attacks';
import { callOnce } from './hostile-grpc-client';

const SERVICES: readonly FlotillaService[] = ['auth', 'audit', 'orchestrator', 'executor', 'artifacts'];
const CLIENT_NODE = 'hostile-suite';

/** Every attack on every sampled method at `urls`; the outcomes that were not a refusal, described. */
async function attackEverything(
  material: AttackMaterial,
  urls: Record<string, string>,
  nodeName: string,
): Promise<{ tried: number; obeyed: string[] }> {
  const attacks = hostileAttacks(material);
  const obeyed: string[] = [];
  let tried = 0;
  for (const method of sampledMethods(nodeName)) {
    const url = urls[method.service];
    if (!url) throw new Error(`no gRPC address for ${method.service}`);
    // One method's attacks at a time, in parallel: each a client, a connection and a call of its own.
    const outcomes = await Promise.all(
      attacks
        .filter((attack) => attack.appliesTo(method))
        .map(async (attack: Attack) => ({
          attack,
          outcome: await callOnce(
            method.service,
            url,
            attack.credentials(),
            method.method,
            method.request,
            await attack.metadata(method),
          ),
        })),
    );
    for (const { attack, outcome } of outcomes) {
      tried += 1;
      if (!attack.refusedWith.includes(outcome.code)) {
        obeyed.push(
          `${method.service}/${method.method} with ${attack.name}: ${status[outcome.code]} ${outcome.details}`,
        );
      }
    }
  }
  return { tried, obeyed };
}

/** What a successful attack would have left behind, read as the real administrator. */
async function expectNoTrace(
  baseUrl: string,
  username: string,
  password: string,
  nodeName: string,
): Promise<void> {
  const api = new ApiClient(baseUrl);
  expect((await api.login(username, password)).status).toBe(200);
  const users = await api.get<{ items: { username: string }[] }>('/api/users');
  expect(users.body.items.map((user) => user.username)).not.toContain(HOSTILE_USERNAME);
  const projects = await api.get<{ items: { name: string }[] }>('/api/projects');
  expect(projects.body.items.map((project) => project.name)).not.toContain(HOSTILE_PROJECT);
  const node = await api.get<{ isDraining: boolean }>(`/api/nodes/${encodeURIComponent(nodeName)}`);
  expect(node.status).toBe(200);
  expect(node.body.isDraining).toBe(false);
}

/**
 * The issue's hostile-client suite: a real node (its gRPC ports directly) and a real cluster
 * (HAProxy's gRPC frontends), attacked as a process on the same network would: plaintext, TLS with
 * no or a foreign client certificate, a valid certificate of the wrong service, forged, expired and
 * misdirected caller tokens, identity metadata alone. Every attack on a sample of every service's
 * methods must be refused, and nothing it asked for may have happened.
 */
describe('hostile gRPC clients', () => {
  let material: AttackMaterial;

  beforeAll(async () => {
    const pkiDir = await ensureTestNodeCertificates(CLIENT_NODE);
    const foreignCa = await createCertificateAuthority('foreign');
    material = {
      pkiDir,
      clientNode: CLIENT_NODE,
      foreignGateway: await issueLeafCertificate(foreignCa, 'gateway', CLIENT_NODE),
    };
  });

  describe('against a node, directly', () => {
    let node: FlotillaNode;
    const urls: Record<string, string> = {};

    beforeAll(async () => {
      const ports = await freePorts(SERVICES.length);
      const env: Record<string, string> = {};
      SERVICES.forEach((service, index) => {
        urls[service] = `127.0.0.1:${ports[index]}`;
        env[`FLOTILLA_${service.toUpperCase()}_GRPC_LISTEN`] = urls[service];
      });
      node = await startFlotillaNode({ env });
    }, 240_000);

    afterAll(async () => {
      await node?.stop();
    });

    it('refuses every attack on every sampled method, and nothing happens', async () => {
      const nodeName = `test-node-${new URL(node.baseUrl).port}`;
      const { tried, obeyed } = await attackEverything(material, urls, nodeName);
      expect(obeyed).toEqual([]);
      expect(tried).toBeGreaterThan(100);
      await expectNoTrace(node.baseUrl, node.adminUsername, node.adminPassword, nodeName);
    }, 180_000);
  });

  describe('against a cluster, through HAProxy', () => {
    let cluster: FlotillaCluster;

    beforeAll(async () => {
      cluster = await startFlotillaCluster({ nodes: 1, redis: false });
    }, 300_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    it('refuses every attack on every sampled method, and nothing happens', async () => {
      const nodeName = cluster.nodes[0]?.name ?? '';
      const { tried, obeyed } = await attackEverything(material, cluster.grpcUrls, nodeName);
      expect(obeyed).toEqual([]);
      expect(tried).toBeGreaterThan(100);
      await expectNoTrace(cluster.baseUrl, cluster.adminUsername, cluster.adminPassword, nodeName);
    }, 180_000);
  });
});
