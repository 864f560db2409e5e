import { Client, ServiceClientConstructor } from '@grpc/grpc-js';

import {
  clientChannelOptions,
  clientCredentials,
  loadServiceDefinition,
  serviceCertificate,
} from '@flotilla/platform/grpc';

import type { RawArtifactClient } from './raw-artifact-client';

let artifactService: ServiceClientConstructor | undefined;

/**
 * ArtifactService with one connection per package transfer, closed when the transfer ends.
 *
 * Why: HAProxy 2.6 (Debian 12's) stalls a whole HTTP/2 connection that carries an upload and a
 * download at once. Its demultiplexer waits until the upload's data can move on to the artifact
 * server; that needs the server's window updates, queued behind download data waiting for the
 * gateway's window updates — which sit, unread, behind the blocked upload on the first connection.
 * Every call on that connection then hangs, unary ones included. With each transfer on its own
 * connection (and unary calls on the shared one), no such cycle can form.
 */
export function dedicatedArtifactClient(url: string): RawArtifactClient {
  artifactService ??= loadServiceDefinition('artifacts');
  const Service = artifactService;
  const open = (): Client & RawArtifactClient =>
    new Service(url, clientCredentials(serviceCertificate()), {
      // Mutual TLS like every client: the gateway's certificate, the server must be `artifacts`.
      ...clientChannelOptions('artifacts'),
      // A private subchannel pool: a new connection, not the shared one to the same address.
      'grpc.use_local_subchannel_pool': 1,
    }) as unknown as Client & RawArtifactClient;
  return {
    UploadPackage(metadata, callback) {
      const client = open();
      const call = client.UploadPackage(metadata, callback);
      call.once('status', () => client.close());
      return call;
    },
    DownloadPackage(request, metadata) {
      const client = open();
      const call = client.DownloadPackage(request, metadata);
      call.once('status', () => client.close());
      return call;
    },
  };
}
