import { createServer, Server, Socket } from 'node:net';

import { BerReader, BerWriter, PresenceFilter } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import { DirectoryProtocolError } from './directory-refusal';
import { LdapConnection } from './ldap-connection';

/** LDAP protocol-op tags (RFC 4511) this fake server reads and answers. */
const BIND_REQUEST = 0x60;
const BIND_RESPONSE = 0x61;
const SEARCH_REQUEST = 0x63;
const SEARCH_ENTRY = 0x64;
const SEARCH_DONE = 0x65;
const SIZE_LIMIT_EXCEEDED = 4;

/**
 * A minimal LDAP server on loopback: binds succeed; a search returns one entry and then
 * sizeLimitExceeded, as a server that truncates a result does (AD past MaxPageSize unpaged).
 */
function truncatingServer(): Promise<{ server: Server; url: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (data) => {
      const reader = new BerReader(data);
      reader.readSequence();
      const messageId = reader.readInt() ?? 0;
      const operation = reader.peek();
      const reply = (write: (writer: BerWriter) => void): void => {
        const writer = new BerWriter();
        writer.startSequence();
        writer.writeInt(messageId);
        write(writer);
        writer.endSequence();
        socket.write(writer.buffer);
      };
      const done = (tag: number, code: number): void =>
        reply((writer) => {
          writer.startSequence(tag);
          writer.writeEnumeration(code);
          writer.writeString('');
          writer.writeString(code === 0 ? '' : 'size limit exceeded');
          writer.endSequence();
        });
      if (operation === BIND_REQUEST) done(BIND_RESPONSE, 0);
      if (operation === SEARCH_REQUEST) {
        reply((writer) => {
          writer.startSequence(SEARCH_ENTRY);
          writer.writeString('CN=first,DC=x');
          writer.startSequence();
          writer.endSequence();
          writer.endSequence();
        });
        done(SEARCH_DONE, SIZE_LIMIT_EXCEEDED);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `ldap://127.0.0.1:${port}`, sockets });
    }),
  );
}

describe(LdapConnection.name, () => {
  const base: DirectoryConfig = {
    kind: 'ad',
    urls: [],
    startTls: false,
    allowPlainBind: true,
    bindDn: 'CN=svc,DC=x',
    bindPassword: 'secret',
    baseDn: 'DC=x',
    groupBaseDn: 'DC=x',
    upnSuffixes: [],
    timeoutMs: 2000,
    cooldownMs: 0,
    referrals: 'ignore',
  };
  let fake: Awaited<ReturnType<typeof truncatingServer>>;

  beforeAll(async () => {
    fake = await truncatingServer();
  });
  afterAll(async () => {
    for (const socket of fake.sockets) socket.destroy();
    await new Promise((resolve) => fake.server.close(resolve));
  });

  it('fails a search the server truncated, instead of returning the entries it got', async () => {
    const connection = await LdapConnection.open(fake.url, base, base.bindDn, base.bindPassword);
    try {
      await expect(
        connection.search('DC=x', {
          scope: 'sub',
          filter: new PresenceFilter({ attribute: 'objectClass' }),
          attributes: [],
        }),
      ).rejects.toThrow(/size limit exceeded/i);
    } finally {
      await connection.close();
    }
  });

  it('never sends a password over plain LDAP unless allowed, nor an empty one at all', async () => {
    await expect(
      LdapConnection.open(fake.url, { ...base, allowPlainBind: false }, base.bindDn, base.bindPassword),
    ).rejects.toThrow(DirectoryProtocolError);
    await expect(LdapConnection.open(fake.url, base, base.bindDn, '')).rejects.toThrow(/empty password/);
  });
});
