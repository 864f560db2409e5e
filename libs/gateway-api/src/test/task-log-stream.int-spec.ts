import { ADMIN_TOKEN } from './backend-doubles';
import { GatewayHarness, startGatewayHarness } from './gateway-harness';
import { call, eventually } from './http-client';

interface ServerSentEvent {
  event: string;
  id?: string;
  data: string;
}

function parseEvents(text: string): ServerSentEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const fields = new Map(
        block
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      return {
        event: fields.get('event') ?? 'message',
        id: fields.get('id'),
        data: fields.get('data') ?? '',
      };
    });
}

describe('gateway task log', () => {
  let sut: GatewayHarness;

  beforeAll(async () => {
    sut = await startGatewayHarness({ maxPackageBytes: 1024 });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('streams log lines as server-sent events, then complete', async () => {
    const minted = await call(sut.baseUrl, 'POST', '/api/tasks/t1/log/stream-tickets', {
      token: ADMIN_TOKEN,
    });
    const { ticket } = minted.body as { ticket: string };
    const response = await fetch(`${sut.baseUrl}/api/tasks/t1/log/stream?ticket=${ticket}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseEvents(await response.text());
    expect(events.map((event) => event.event)).toEqual(['line', 'line', 'line', 'complete']);
    expect(
      events.map(
        (event) => event.event === 'line' && (JSON.parse(event.data) as { message: string }).message,
      ),
    ).toEqual(['one', 'two', 'three', false]);
    expect(events[1].id).toBe('100');
  });

  it('never takes the session token from the query string', async () => {
    await expect(call(sut.baseUrl, 'GET', '/api/tasks/t1/log/stream')).resolves.toMatchObject({
      status: 401,
    });
    for (const path of ['/api/tasks/t1/log/stream', '/api/tasks/t1/log']) {
      await expect(call(sut.baseUrl, 'GET', `${path}?access_token=${ADMIN_TOKEN}`)).resolves.toMatchObject({
        status: 401,
      });
      await expect(call(sut.baseUrl, 'GET', `${path}?token=${ADMIN_TOKEN}`)).resolves.toMatchObject({
        status: 401,
      });
    }
  });

  it('answers a missing task with a JSON 404 before streaming', async () => {
    await expect(
      call(sut.baseUrl, 'GET', '/api/tasks/missing/log/stream', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({
      status: 404,
      body: { message: 'Task missing was not found' },
    });
  });

  it('cancels the gRPC call when the browser goes away', async () => {
    const abort = new AbortController();
    const response = await fetch(`${sut.baseUrl}/api/tasks/endless/log/stream`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('event: line');
    expect(sut.backends.log.followCancelled).toBe(false);
    abort.abort();
    await eventually(() => sut.backends.log.followCancelled, 5_000, 'the follow call cancelled');
  });

  it('reads the log as JSON pages', async () => {
    await expect(
      call(sut.baseUrl, 'GET', '/api/tasks/t1/log?offset=10', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({
      status: 200,
      body: { lines: [{ message: 'one', level: 'Info' }], nextOffset: 50, complete: true },
    });
    await expect(
      call(sut.baseUrl, 'GET', '/api/tasks/t1/log?offset=-1', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({
      status: 400,
    });
  });
});
