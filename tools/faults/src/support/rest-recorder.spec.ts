import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { RestRecorder, summarise } from './rest-recorder';

/**
 * The recorder against a plain local HTTP server that closes the connection of every other
 * request without answering: a GET is sent again once (as a browser does), a POST never is.
 */
describe(RestRecorder.name, () => {
  let server: Server;
  let baseUrl: string;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      requests += 1;
      if (requests % 2 === 1) {
        request.socket.destroy();
        return;
      }
      response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends a GET closed with no answer again once and counts it; a POST closed so stays failed', async () => {
    const recorder = new RestRecorder({ baseUrl, token: 't', readEveryMs: 1, writeEveryReads: 2 });
    recorder.start();
    while (recorder.calls.filter((call) => call.method === 'POST' && call.endedAt > 0).length < 2)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await recorder.stop();

    const gets = recorder.calls.filter((call) => call.method === 'GET');
    expect(gets.every((call) => call.status === 200)).toBe(true);
    expect(gets.some((call) => call.retriedAfter !== undefined)).toBe(true);
    for (const call of gets.filter((each) => each.retriedAfter !== undefined))
      expect(call.retriedAfter).toMatch(/other side closed|ECONNRESET|socket hang up/i);
    const failedPosts = recorder.calls.filter((call) => call.method === 'POST' && call.status === undefined);
    expect(failedPosts.length).toBeGreaterThan(0);
    expect(failedPosts.every((call) => call.retriedAfter === undefined && call.error !== undefined)).toBe(
      true,
    );
    expect(summarise(recorder.calls)).toMatch(/sent again after a connection closed with no answer ×[1-9]/);
  });
});
