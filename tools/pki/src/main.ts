import { runPkiCommand } from './pki-command';

/** `npm run pki -- <command>`: the cluster's certificates (see pki-command.ts USAGE, README "Security model"). */
runPkiCommand(process.argv.slice(2), {
  log: (line) => console.log(line),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  env: process.env,
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
