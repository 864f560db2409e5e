import { Client } from 'pg';

import { buildZip, trustingFetch } from '@flotilla/testing';

import { ACCOUNT_CALLS } from './audited-account-calls';
import { ARCHIVE_CALLS, ARCHIVE_DELETE_REASON } from './audited-archive-calls';
import { asAdmin, AuditedCall, AuditWorld, byAdmin, Identified, unique } from './audited-call-support';
import { STREAM_CALLS } from './audited-stream-calls';

/**
 * What the audit-completeness spec does on each mutating REST route: one successful call as an
 * administrator (or as the user the route is for), and the events the trail must then hold. A
 * route may have several calls (sign-in also has its failures and its lockout). This file holds
 * the deployment side (projects to packages); audited-account-calls.ts the accounts.
 */

/**
 * Mutating routes that deliberately record nothing, and why: listing one here is a decision, so a
 * new route has to be either audited (AUDITED_CALLS) or justified here.
 */
export const UNAUDITED_ROUTES: Readonly<Record<string, string>> = {
  'POST /api/tasks/:id/log/stream-tickets':
    'a one-minute ticket to read a task log over a stream; it changes nothing, and reading a log is not audited',
  'POST /api/events/export-tickets':
    'a 30-second ticket for one export download; it changes nothing, and the export it opens is recorded (audit.exported)',
  'DELETE /api/events/archives/:day': ARCHIVE_DELETE_REASON,
};

const newProject = (w: AuditWorld) =>
  asAdmin<Identified>(w, 'POST', '/api/projects', { name: unique('Audit project') });
const newEnvironment = (w: AuditWorld) =>
  asAdmin<Identified>(w, 'POST', '/api/environments', { name: unique('Audit environment') });

/** A small zip named as the feed parses it ("<id>.<version>.zip"). */
function newPackage() {
  const packageId = `Audit.Pkg${unique('').replaceAll('-', '')}`;
  const fileName = `${packageId}.1.0.0.zip`;
  // Copied into a plain ArrayBuffer: fetch and Blob take no Buffer over a possibly shared one.
  const zip: Uint8Array<ArrayBuffer> = Uint8Array.from(buildZip([{ name: 'readme.txt', content: fileName }]));
  return { fileName, resourceId: `${packageId}@1.0.0`, zip };
}

async function pushMultipart(w: AuditWorld, fileName: string, zip: Uint8Array<ArrayBuffer>): Promise<void> {
  const form = new FormData();
  form.append('file', new Blob([zip]), fileName);
  const response = await trustingFetch(`${w.baseUrl}/api/packages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.admin.token}` },
    body: form,
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /api/packages: ${response.status} ${text}`);
}

async function pushRaw(w: AuditWorld, fileName: string, zip: Uint8Array<ArrayBuffer>): Promise<void> {
  const response = await trustingFetch(
    `${w.baseUrl}/api/packages/raw?fileName=${encodeURIComponent(fileName)}`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${w.admin.token}`, 'content-type': 'application/octet-stream' },
      body: zip,
    },
  );
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /api/packages/raw: ${response.status} ${text}`);
}

/**
 * A node that stopped heartbeating an hour ago, written straight into the node's database: only an
 * Offline node can be removed, and a single-node run has no other node to let die.
 */
async function offlineNode(w: AuditWorld): Promise<string> {
  const name = unique('audit-dead-node');
  const database = new Client({ connectionString: w.databaseUrl });
  await database.connect();
  try {
    await database.query(
      'INSERT INTO cluster_nodes (name, services, version, started_at, last_seen, task_cap, is_draining) ' +
        "VALUES ($1, '[]', 'test', now() - interval '1 hour', now() - interval '1 hour', 1, false)",
      [name],
    );
  } finally {
    await database.end();
  }
  return name;
}

const script = (body: string) => [
  { name: 'Run', actionType: 'run-script', properties: { scriptBody: body } },
];

const DEPLOYMENT_CALLS: readonly AuditedCall[] = [
  {
    route: 'POST /api/projects',
    perform: async (w) => [byAdmin(w, 'project.created', (await newProject(w)).id)],
  },
  {
    route: 'PUT /api/projects/:id',
    perform: async (w) => {
      const project = await newProject(w);
      await asAdmin(w, 'PUT', `/api/projects/${project.id}`, {
        name: unique('Audit renamed'),
        description: '',
      });
      return [byAdmin(w, 'project.modified', project.id)];
    },
  },
  {
    route: 'DELETE /api/projects/:id',
    perform: async (w) => {
      const project = await newProject(w);
      await asAdmin(w, 'DELETE', `/api/projects/${project.id}`);
      return [byAdmin(w, 'project.deleted', project.id)];
    },
  },
  {
    route: 'PUT /api/projects/:id/deploymentprocess',
    perform: async (w) => {
      const project = await newProject(w);
      const body = { steps: script('echo audited'), retryable: false };
      await asAdmin(w, 'PUT', `/api/projects/${project.id}/deploymentprocess`, body);
      return [byAdmin(w, 'process.modified', project.id)];
    },
  },
  {
    route: 'PUT /api/projects/:id/variables',
    perform: async (w) => {
      const project = await newProject(w);
      const variables = [{ name: 'Url', value: 'https://audit', environmentIds: [], isSensitive: false }];
      await asAdmin(w, 'PUT', `/api/projects/${project.id}/variables`, { variables });
      return [byAdmin(w, 'variables.modified', project.id)];
    },
  },
  {
    route: 'POST /api/projects/:id/releases',
    perform: async (w) => {
      const path = `/api/projects/${w.project.id}/releases`;
      const release = await asAdmin<Identified>(w, 'POST', path, { version: '9.9.9', packages: [] });
      return [byAdmin(w, 'release.created', release.id)];
    },
  },
  {
    route: 'POST /api/environments',
    perform: async (w) => [byAdmin(w, 'environment.created', (await newEnvironment(w)).id)],
  },
  {
    route: 'DELETE /api/environments/:id',
    perform: async (w) => {
      const environment = await newEnvironment(w);
      await asAdmin(w, 'DELETE', `/api/environments/${environment.id}`);
      return [byAdmin(w, 'environment.deleted', environment.id)];
    },
  },
  {
    route: 'POST /api/deployments',
    perform: async (w) => {
      const body = { releaseId: w.release.id, environmentId: w.environment.id };
      const deployment = await asAdmin<Identified>(w, 'POST', '/api/deployments', body);
      return [byAdmin(w, 'deployment.queued', deployment.id)];
    },
  },
  {
    route: 'POST /api/tasks/:id/cancel',
    perform: async (w) => {
      // Sleeps for a minute: queued or executing when cancelled, never already finished.
      const body = { releaseId: w.slowRelease.id, environmentId: w.environment.id };
      const deployment = await asAdmin<{ taskId: string }>(w, 'POST', '/api/deployments', body);
      await asAdmin(w, 'POST', `/api/tasks/${deployment.taskId}/cancel`);
      return [byAdmin(w, 'task.cancel-requested', deployment.taskId)];
    },
  },
  {
    route: 'PUT /api/nodes/:name',
    perform: async (w) => {
      const nodes = await asAdmin<{ items: { name: string; taskCap: number }[] }>(w, 'GET', '/api/nodes');
      const [node] = nodes.items;
      // Its own task cap again: the node keeps working as before, and the change is still audited.
      await asAdmin(w, 'PUT', `/api/nodes/${encodeURIComponent(node.name)}`, { taskCap: node.taskCap });
      return [byAdmin(w, 'node.modified', node.name)];
    },
  },
  {
    route: 'DELETE /api/nodes/:name',
    perform: async (w) => {
      const name = await offlineNode(w);
      await asAdmin(w, 'DELETE', `/api/nodes/${encodeURIComponent(name)}`);
      return [byAdmin(w, 'node.removed', name)];
    },
  },
  {
    route: 'POST /api/packages',
    perform: async (w) => {
      const pkg = newPackage();
      await pushMultipart(w, pkg.fileName, pkg.zip);
      return [byAdmin(w, 'package.pushed', pkg.resourceId)];
    },
  },
  {
    route: 'POST /api/packages/raw',
    perform: async (w) => {
      const pkg = newPackage();
      await pushRaw(w, pkg.fileName, pkg.zip);
      return [byAdmin(w, 'package.pushed', pkg.resourceId)];
    },
  },
  {
    route: 'DELETE /api/packages/:packageId/:version',
    perform: async (w) => {
      const pkg = newPackage();
      await pushRaw(w, pkg.fileName, pkg.zip);
      const [packageId, version] = pkg.resourceId.split('@');
      await asAdmin(w, 'DELETE', `/api/packages/${packageId}/${version}`);
      return [byAdmin(w, 'package.deleted', pkg.resourceId)];
    },
  },
  {
    route: 'PUT /api/settings/trusted-proxies',
    perform: async (w) => {
      // The list it has again: the node keeps trusting what it did, and the change is still audited.
      const current = await asAdmin<{ entries: string[] }>(w, 'GET', '/api/settings/trusted-proxies');
      await asAdmin(w, 'PUT', '/api/settings/trusted-proxies', { entries: current.entries });
      return [byAdmin(w, 'settings.trusted-proxies-changed', 'trusted-proxies')];
    },
  },
];

/** Every audited call, in the order the spec makes them. */
export const AUDITED_CALLS: readonly AuditedCall[] = [
  ...DEPLOYMENT_CALLS,
  ...ACCOUNT_CALLS,
  ...ARCHIVE_CALLS,
  ...STREAM_CALLS,
];
