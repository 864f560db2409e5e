import { readFileSync } from 'node:fs';

import { HaproxyLayout, readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';

/**
 * Renders docker/haproxy/haproxy.cfg.template from a layout JSON file (see docker/haproxy/README.md)
 * and prints the config: `node -r @swc-node/register tools/cluster/src/render-haproxy-config.ts layout.json`.
 */
function main(): void {
  const layoutPath = process.argv[2];
  if (!layoutPath) throw new Error('usage: render-haproxy-config.ts <layout.json> [template]');
  const layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as HaproxyLayout;
  const template = process.argv[3] ? readFileSync(process.argv[3], 'utf8') : readHaproxyTemplate();
  process.stdout.write(renderHaproxyConfig(template, layout));
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
