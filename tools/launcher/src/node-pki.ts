import { join, resolve } from 'node:path';

import { ensureClusterPki } from '@flotilla/platform/pki';

/**
 * Every service of the node speaks mutual TLS with a certificate from the cluster CA. The first
 * `npm start` makes the CA, the node's certificates and the caller-token key in
 * `<data folder>/pki` (keys 0600, folders 0700); later starts reuse them. FLOTILLA_PKI_DIR points
 * elsewhere (e.g. a folder `npm run pki -- issue` filled for a production node) to use that one;
 * without a CA key there, certificates that exist are used as they are and nothing is made.
 */
export async function ensureNodePki(
  env: NodeJS.ProcessEnv,
  dataRoot: string,
  nodeName: string,
): Promise<void> {
  const pkiDir = resolve(env['FLOTILLA_PKI_DIR'] ?? join(dataRoot, 'pki'));
  const result = await ensureClusterPki(pkiDir, [nodeName]);
  if (result.created.length > 0)
    console.log(
      `[launcher] Certificates: made ${result.created.length} file(s) in ${pkiDir} (CA ${result.signingCaId}; back up ${pkiDir}/ca)`,
    );
  env['FLOTILLA_PKI_DIR'] = pkiDir;
}
