import { parseHaproxyStatsCsv } from './haproxy-stats';

// The shape of HAProxy 2.x's `/stats;csv` (columns trimmed; the parser finds them by name).
const CSV = [
  '# pxname,svname,qcur,scur,status,weight',
  'http_in,FRONTEND,,,OPEN,',
  'gateways,node-1,0,0,UP,1',
  'gateways,node-2,0,0,DOWN,1',
  'gateways,node-3,0,0,UP 1/2,1',
  'gateways,BACKEND,0,0,UP,2',
  '',
].join('\n');

describe(parseHaproxyStatsCsv.name, () => {
  it("reads each server's status, leaving out the frontend and backend summary rows", () => {
    expect(parseHaproxyStatsCsv(CSV)).toEqual([
      { backend: 'gateways', server: 'node-1', status: 'UP' },
      { backend: 'gateways', server: 'node-2', status: 'DOWN' },
      { backend: 'gateways', server: 'node-3', status: 'UP 1/2' },
    ]);
  });

  it('refuses something that is not the stats CSV', () => {
    expect(() => parseHaproxyStatsCsv('<html>')).toThrow('not an HAProxy stats CSV');
  });
});
