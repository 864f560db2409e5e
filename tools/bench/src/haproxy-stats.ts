import { eventually } from '@flotilla/testing';

/** One server's line of HAProxy's stats CSV. */
export interface HaproxyServerStatus {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, "UP 1/2" (going down), "DOWN 1/2" (coming up)... */
  status: string;
}

/** Parses `<stats uri>;csv`: a `# pxname,svname,...` header, then one row per proxy/server. */
export function parseHaproxyStatsCsv(csv: string): HaproxyServerStatus[] {
  const [header, ...rows] = csv.split('\n').filter((line) => line.trim() !== '');
  if (!header?.startsWith('# ')) throw new Error('not an HAProxy stats CSV');
  const columns = header.slice(2).split(',');
  const at = (name: string): number => {
    const index = columns.indexOf(name);
    if (index < 0) throw new Error(`HAProxy stats CSV has no ${name} column`);
    return index;
  };
  const [backend, server, status] = [at('pxname'), at('svname'), at('status')];
  return rows
    .map((row) => row.split(','))
    .filter((cells) => !['FRONTEND', 'BACKEND'].includes(cells[server]))
    .map((cells) => ({ backend: cells[backend], server: cells[server], status: cells[status] }));
}

/** Waits until HAProxy's health checks see each named gateway server as wanted (exactly UP / DOWN). */
export async function waitForGatewayStatus(
  statsUrl: string,
  /** The stats page's `authorization` header (FlotillaCluster.statsAuthorization). */
  statsAuthorization: string,
  wanted: Record<string, 'UP' | 'DOWN'>,
  timeoutMs: number,
): Promise<void> {
  await eventually(
    async () => {
      const response = await fetch(`${statsUrl};csv`, { headers: { authorization: statsAuthorization } });
      if (!response.ok) return undefined;
      const servers = parseHaproxyStatsCsv(await response.text()).filter(
        (entry) => entry.backend === 'gateways',
      );
      const settled = Object.entries(wanted).every(
        ([name, status]) => servers.find((entry) => entry.server === name)?.status === status,
      );
      return settled ? true : undefined;
    },
    timeoutMs,
    `HAProxy to see the gateways as ${JSON.stringify(wanted)}`,
  );
}
