import { acceptedAt, haproxyRequestsBetween } from './haproxy-access-log';

const line = (
  time: string,
  rest = 'https_in~ gateways/node-1 0/0/0/5/5 200 312 - - ---- "GET /api/tasks HTTP/1.1"',
) => `[haproxy] 127.0.0.1:50412 [01/Dec/2026:${time}] ${rest}`;

describe('HAProxy access log', () => {
  it('reads the accept date of an httplog line in local time, and nothing from other lines', () => {
    expect(acceptedAt(line('20:10:11.123'))).toBe(new Date(2026, 11, 1, 20, 10, 11, 123).getTime());
    expect(
      acceptedAt('[haproxy] Server gateways/node-1 is DOWN, reason: Layer7 wrong status'),
    ).toBeUndefined();
    expect(acceptedAt('[haproxy] 127.0.0.1:1 [01/Xyz/2026:20:10:11.123] x')).toBeUndefined();
  });

  it('keeps the request lines accepted within the margin of the window', () => {
    const at = (time: string) => new Date(2026, 11, 1, 20, 10, Number(time)).getTime();
    const output = [
      line('20:10:08.999'),
      line('20:10:09.000', 'https_in~ gateways/node-2 0/0/0/-1/2 -1 0 - - SH-- "GET /api/tasks HTTP/1.1"'),
      '[node-1 gateway] a line of a service',
      line('20:10:12.500'),
      line('20:10:13.001'),
    ].join('\n');
    expect(haproxyRequestsBetween(output, at('10'), at('12'))).toEqual([
      line('20:10:09.000', 'https_in~ gateways/node-2 0/0/0/-1/2 -1 0 - - SH-- "GET /api/tasks HTTP/1.1"'),
      line('20:10:12.500'),
    ]);
  });
});
