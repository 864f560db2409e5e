import { runAuditVerify } from './audit-verify-command';

/** `npm run audit:verify -- <file or folder> --public-key <checkpoint.pub>` (see USAGE). */
runAuditVerify(process.argv.slice(2), {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
