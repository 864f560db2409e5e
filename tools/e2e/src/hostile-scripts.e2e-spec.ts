import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { ApiClient, eventually, FlotillaNode, startFlotillaNode } from '@flotilla/testing';

interface Identified {
  id: string;
}
interface Task extends Identified {
  state: string;
  errorMessage: string;
}
interface LogChunk {
  lines: { level: string; message: string }[];
  nextOffset: number;
  complete: boolean;
}
interface Variable {
  name: string;
  value: string;
  isSensitive?: boolean;
}

const FINISHED = ['Success', 'Failed', 'Canceled', 'TimedOut'];
const OUTPUT_CAP_BYTES = 1024 * 1024;

/**
 * Bash run by each hostile script: tries something, and prints REFUSED (with the error) when it
 * fails or FENCE BROKEN (with what it got) when it works, so the deployment's log says which.
 */
const CHECK = `
check() {
  local what="$1"; shift
  local out
  if out=$("$@" 2>&1 </dev/null); then
    echo "FENCE BROKEN $what: $(printf '%s' "$out" | head -c 300 | tr '\\0\\n' '  ')"
  else
    echo "REFUSED $what: $(printf '%s' "$out" | tail -n 1)"
  fi
}
`;

/** Every file under a folder (as this test, root, sees them), relative to it. */
function filesUnder(root: string, skip: (path: string) => boolean = () => false): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (skip(path)) continue;
      if (entry.isDirectory()) walk(path);
      else found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}

/** The executor process of this node: its entry point, and this node's data folder in its environment. */
function executorProcess(dataDir: string): { pid: number; environment: Map<string, string> } {
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmdline.includes('apps/deployment-executor/src/main.ts')) continue;
      const pairs = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      const environment = new Map(
        pairs
          .filter(Boolean)
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      );
      if (environment.get('FLOTILLA_DEPLOY_ROOT') === join(dataDir, 'deployments'))
        return { pid: Number(name), environment };
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  throw new Error(`no deployment executor process found for ${dataDir}`);
}

/**
 * Hostile deployment scripts against a real node (the launcher, six services, bash): each runs as
 * a deployment through the REST API and tries to get at what a script must not — the services'
 * environment, the data folder, the master key, other tasks' logs, the gRPC ports, shell code in
 * variable values — and every attempt fails, the deployment's log saying so, with nothing written
 * outside the script's own folder. Run as root (as CI does) so scripts run as the script user.
 */
describe('hostile scripts, run as real deployments', () => {
  let node: FlotillaNode;
  let api: ApiClient;
  let environmentId: string;
  let dataDir: string;
  let executor: { pid: number; environment: Map<string, string> };
  let filesBefore: string[];
  const runAsRoot = process.getuid?.() === 0;
  const pwned = `/tmp/pwned-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    node = await startFlotillaNode({ env: { FLOTILLA_TASK_OUTPUT_MAX_BYTES: String(OUTPUT_CAP_BYTES) } });
    dataDir = dirname(node.deployRoot);
    executor = executorProcess(dataDir);
    // The master key file as the launcher makes it (0600), should this node have been given its key otherwise.
    const keyFile = executor.environment.get('FLOTILLA_MASTER_KEY_FILE') ?? join(dataDir, 'master.key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, 'test-master-key-material\n', { mode: 0o600 });
    api = new ApiClient(node.baseUrl);
    expect((await api.login(node.adminUsername, node.adminPassword)).status).toBe(200);
    const environment = await api.post<Identified>('/api/environments', { name: 'Hostile', description: '' });
    expect(environment.status).toBe(201);
    environmentId = environment.body.id;
    filesBefore = filesUnder(dataDir, (path) => path.includes(`${join('shared', 'TaskLogs')}`));
  }, 240_000);

  afterAll(async () => {
    rmSync(pwned, { force: true });
    await node?.stop();
  }, 60_000);

  async function deployScript(name: string, scriptBody: string, variables: Variable[] = []): Promise<Task> {
    const project = await api.post<Identified>('/api/projects', { name });
    expect(project.status).toBe(201);
    const process = await api.put(`/api/projects/${project.body.id}/deploymentprocess`, {
      steps: [{ name: 'Hostile', actionType: 'run-script', properties: { scriptBody } }],
      retryable: false,
    });
    expect(process.status).toBe(200);
    const scoped = variables.map((variable) => ({ environmentIds: [], isSensitive: false, ...variable }));
    expect((await api.put(`/api/projects/${project.body.id}/variables`, { variables: scoped })).status).toBe(
      200,
    );
    const release = await api.post<Identified>(`/api/projects/${project.body.id}/releases`, {
      version: '1.0.0',
    });
    expect(release.status).toBe(201);
    const deployment = await api.post<{ taskId: string }>('/api/deployments', {
      releaseId: release.body.id,
      environmentId,
    });
    expect(deployment.status).toBe(201);
    return eventually(
      async () => {
        const task = await api.get<Task>(`/api/tasks/${deployment.body.taskId}`);
        return FINISHED.includes(task.body.state) ? task.body : undefined;
      },
      60_000,
      `task of ${name} to finish`,
    );
  }

  async function logLines(taskId: string): Promise<string[]> {
    const lines: string[] = [];
    for (let offset = 0; ; ) {
      const chunk = await api.get<LogChunk>(`/api/tasks/${taskId}/log?offset=${offset}`);
      expect(chunk.status).toBe(200);
      lines.push(...chunk.body.lines.map((line) => `${line.level}: ${line.message}`));
      if (chunk.body.lines.length === 0 || chunk.body.nextOffset === offset) return lines;
      offset = chunk.body.nextOffset;
    }
  }

  function refusals(lines: string[]): string[] {
    return lines.filter((line) => / (REFUSED|FENCE BROKEN) /.test(line));
  }

  it("runs scripts as the unprivileged script user with none of the services' environment", async () => {
    expect(runAsRoot).toBe(true);
    const task = await deployScript(
      'Hostile Environment',
      `${CHECK}
echo "RUNS AS $(id -un) uid=$(id -u)"
check "read the executor's environment" cat /proc/$EXECUTOR_PID/environ
check "read the parent's environment" cat /proc/$PPID/environ
readable=0
for f in /proc/[0-9]*/environ; do
  if tr '\\0' '\\n' < "$f" 2>/dev/null | grep -q '^FLOTILLA_'; then echo "FENCE BROKEN environment of $f"; readable=1; fi
done
[ $readable = 0 ] && echo "REFUSED every process environment holding FLOTILLA_* (none readable)"
if env | grep -q '^FLOTILLA_'; then echo "FENCE BROKEN own environment has FLOTILLA_*"; else echo "REFUSED FLOTILLA_* in the script's environment (none)"; fi
env | cut -d= -f1 | sort | tr '\\n' ' ' | sed 's/^/ENV NAMES /'; echo`,
      [{ name: 'Executor.Pid', value: String(executor.pid) }],
    );
    const lines = await logLines(task.id);
    const text = lines.join('\n');
    expect(task.state).toBe('Success');
    expect(text).toMatch(/RUNS AS flotilla-script uid=\d+/);
    expect(text).not.toMatch(/uid=0\b/);
    expect(refusals(lines).filter((line) => line.includes('FENCE BROKEN'))).toEqual([]);
    expect(text).toMatch(/REFUSED read the executor's environment: .*Permission denied/);
    expect(text).toMatch(/REFUSED read the parent's environment: .*Permission denied/);
    expect(text).toContain('REFUSED every process environment holding FLOTILLA_*');
    // Nothing of the services' configuration reached the log by any way.
    const serviceSecrets = [
      node.databaseUrl,
      node.adminPassword,
      executor.environment.get('FLOTILLA_MASTER_KEY'),
    ];
    for (const secret of serviceSecrets.filter(Boolean)) expect(text).not.toContain(secret);
    const names = lines.find((line) => line.includes('ENV NAMES')) ?? '';
    expect(names).not.toMatch(/ FLOTILLA_| DATABASE| NODE_OPTIONS| SWC_/);
    expect(names).toMatch(/ HOME .* PATH .* TMPDIR /);
  }, 90_000);

  it("cannot read the data folder, the master key, the PKI or another task's log, nor write anywhere of the node's", async () => {
    const other = await deployScript('Other Task', 'echo "private output of another deployment"');
    expect(other.state).toBe('Success');
    const otherLog = join(node.sharedStorage, 'TaskLogs', `${other.id}.log`);
    expect(readFileSync(otherLog, 'utf8')).toContain('private output of another deployment');
    const otherLogBefore = readFileSync(otherLog);
    // Every file of the node's but the releases scripts are meant to read (as root sees them).
    const pkiDir = executor.environment.get('FLOTILLA_PKI_DIR');
    const nodeFiles = [
      ...filesUnder(dataDir, (path) => path === node.deployRoot).map((file) => join(dataDir, file)),
      // A PKI folder elsewhere (the test run's): its private keys (certificates are public).
      ...(pkiDir && !pkiDir.startsWith(`${dataDir}/`)
        ? filesUnder(pkiDir)
            .filter((file) => file.endsWith('.key'))
            .map((file) => join(pkiDir, file))
        : []),
    ];
    expect(nodeFiles).toContain(otherLog);

    const task = await deployScript(
      'Hostile Files',
      `${CHECK}
check "list the data folder" ls -la "$DATA_DIR"
check "list the task logs" ls "$SHARED/TaskLogs"
check "read another task's log" cat "$SHARED/TaskLogs/$OTHER_TASK.log"
check "append to another task's log" sh -c 'echo forged >> "$0"' "$SHARED/TaskLogs/$OTHER_TASK.log"
check "write into the data folder" touch "$DATA_DIR/planted"
check "write into the deploy root" touch "$DEPLOY_ROOT/planted"
while IFS= read -r file; do
  [ -n "$file" ] && check "read $file" head -c 64 "$file"
done <<< "$NODE_FILES"
echo "HOME $HOME" ; touch "$HOME/mine" && echo "WROTE own home"`,
      [
        { name: 'Data.Dir', value: dataDir },
        { name: 'Shared', value: node.sharedStorage },
        { name: 'Deploy.Root', value: node.deployRoot },
        { name: 'Other.Task', value: other.id },
        { name: 'Node.Files', value: nodeFiles.join('\n') },
      ],
    );
    const lines = await logLines(task.id);
    const text = lines.join('\n');
    expect(task.state).toBe('Success');
    expect(refusals(lines).filter((line) => line.includes('FENCE BROKEN'))).toEqual([]);
    for (const what of [
      'list the data folder',
      'list the task logs',
      "read another task's log",
      "append to another task's log",
      'write into the data folder',
      'write into the deploy root',
    ])
      expect(text).toMatch(new RegExp(`REFUSED ${what}: .*Permission denied`));
    // Each of the node's files was tried and refused for want of permission (not for being absent).
    for (const file of nodeFiles)
      expect(text).toMatch(new RegExp(`REFUSED read ${escapeRegExp(file)}: .*Permission denied`));
    expect(nodeFiles.some((file) => /master\.key$/.test(file))).toBe(true);
    expect(text).not.toContain('private output of another deployment');
    expect(text).toContain('WROTE own home');
    expect(readFileSync(otherLog).equals(otherLogBefore)).toBe(true);
    // Logs are the services' alone.
    expect(statSync(otherLog).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(otherLog)).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('reaches no gRPC port: none answers plaintext HTTP/2, and TLS without a client certificate gets nothing', async () => {
    const ports = [
      ...new Set(
        [...executor.environment]
          .filter(([name]) => /^FLOTILLA_.*_GRPC_(LISTEN|URL)$/.test(name))
          .map(([, value]) => value.split(':').pop() ?? ''),
      ),
    ].filter(Boolean);
    expect(ports.length).toBeGreaterThanOrEqual(5);
    const task = await deployScript(
      'Hostile gRPC',
      `${CHECK}
# A port that closes on us before our write lands must not kill the script with SIGPIPE: that is
# the fence working, and the loop must go on to the other ports.
trap '' PIPE
for port in $GRPC_PORTS; do
  if ! exec 3<>/dev/tcp/127.0.0.1/$port; then echo "REFUSED grpc $port: no connection"; continue; fi
  printf 'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n\\x00\\x00\\x00\\x04\\x00\\x00\\x00\\x00\\x00' >&3
  reply=$(timeout 3 head -c 9 <&3 | od -An -tx1 | tr -d ' \\n')
  exec 3<&- 3>&-
  if [ "\${reply:6:2}" = "04" ]; then echo "FENCE BROKEN grpc $port answered plaintext HTTP/2 ($reply)"
  else echo "REFUSED grpc $port plaintext: no HTTP/2 answer (\${reply:-closed})"; fi
  code=$(curl -sk --http2 --max-time 5 -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/grpc' -H 'te: trailers' "https://127.0.0.1:$port/flotilla.orchestrator.v1.OrchestratorService/ClaimTask" 2>/dev/null)
  if [ "$code" != "000" ]; then echo "FENCE BROKEN grpc $port answered over TLS without a client certificate (HTTP $code)"
  else echo "REFUSED grpc $port TLS without a client certificate: no answer"; fi
done`,
      [{ name: 'Grpc.Ports', value: ports.join(' ') }],
    );
    const lines = await logLines(task.id);
    // On failure the task's own log says why; show it rather than a bare state.
    expect({ state: task.state, log: task.state === 'Success' ? [] : lines }).toEqual({
      state: 'Success',
      log: [],
    });
    const results = refusals(lines);
    if (!executor.environment.get('FLOTILLA_PKI_DIR') && !existsSync(join(dataDir, 'pki'))) {
      // This build has no service identity (mTLS) yet: a plaintext gRPC port answers anyone.
      console.warn(`gRPC fence not in force without mTLS (no PKI folder):\n${results.join('\n')}`);
      return;
    }
    expect(results.filter((line) => line.includes('FENCE BROKEN'))).toEqual([]);
    for (const port of ports) {
      expect(results.join('\n')).toContain(`REFUSED grpc ${port} plaintext`);
      expect(results.join('\n')).toContain(`REFUSED grpc ${port} TLS without a client certificate`);
    }
  }, 90_000);

  it('takes variable values as text: no injection through $( ), backticks or quotes, and secrets stay masked line by line', async () => {
    const evil: Variable[] = [
      { name: 'Evil.Dollar', value: `$(touch ${pwned})` },
      { name: 'Evil.Backtick', value: `\`touch ${pwned}\`` },
      { name: 'Evil.DoubleQuote', value: `"; touch ${pwned}; echo "` },
      { name: 'Evil.SingleQuote', value: `'; touch ${pwned}; echo '` },
      { name: 'Evil.Newline', value: `x\ntouch ${pwned}` },
      {
        name: 'Secret.Pem',
        value: '-----BEGIN TEST KEY-----\nAAAABBBBCCCCDDDDEEEE\nFFFFGGGGHHHHIIIIJJJJ\n-----END TEST KEY-----',
        isSensitive: true,
      },
    ];
    const task = await deployScript(
      'Hostile Variables',
      `echo "double: #{Evil.Dollar} #{Evil.Backtick} #{Evil.DoubleQuote} #{Evil.SingleQuote}"
echo 'single: #{Evil.Dollar} #{Evil.SingleQuote}'
echo plain: #{Evil.Dollar} #{Evil.Backtick} #{Evil.DoubleQuote} #{Evil.SingleQuote}
echo "newline: #{Evil.Newline}"
echo "environment: $EVIL_DOLLAR $EVIL_BACKTICK"
cat <<EOF
heredoc: #{Evil.Dollar} #{Evil.Backtick}
EOF
printf '%s\\n' "#{Secret.Pem}"
echo "$SECRET_PEM" | sed 's/^/indented: /'
if [ -e ${pwned} ]; then echo "FENCE BROKEN injected: ${pwned} exists"; else echo "REFUSED injection: ${pwned} not created"; fi`,
      evil,
    );
    const lines = await logLines(task.id);
    const text = lines.join('\n');
    expect(task.state).toBe('Success');
    expect(existsSync(pwned)).toBe(false);
    expect(text).toContain(`REFUSED injection: ${pwned} not created`);
    const [dollar, backtick, doubleQuote, singleQuote] = evil.map((variable) => variable.value);
    expect(text).toContain(`double: ${dollar} ${backtick} ${doubleQuote} ${singleQuote}`);
    expect(text).toContain(`single: ${dollar} ${singleQuote}`);
    expect(text).toContain(`plain: ${dollar} ${backtick} ${doubleQuote} ${singleQuote}`);
    expect(text).toContain(`newline: x\nInfo: touch ${pwned}`);
    expect(text).toContain(`environment: ${dollar} ${backtick}`);
    expect(text).toContain(`heredoc: ${dollar} ${backtick}`);
    // Each line of the multi-line secret is masked wherever it shows, indented or not.
    for (const secretLine of ['AAAABBBBCCCCDDDDEEEE', 'FFFFGGGGHHHHIIIIJJJJ', 'BEGIN TEST KEY'])
      expect(text).not.toContain(secretLine);
    expect(text).toContain('indented: ********');
  }, 90_000);

  it("caps a long line and the task's output, saying how much was dropped", async () => {
    const task = await deployScript(
      'Loud Script',
      `head -c 100000 /dev/zero | tr '\\0' x; echo
for i in $(seq 1 3000); do printf '%0500d\\n' "$i"; done
echo "still running"`,
    );
    const lines = await logLines(task.id);
    expect(task.state).toBe('Success');
    const long = lines.find((line) => line.startsWith('Info: xxxx')) ?? '';
    expect(long).toMatch(/^Info: x{16384} \[line cut at 16384 characters\]$/);
    expect(lines.join('\n')).toContain("Warning: The task's output reached its cap of 1 MiB");
    expect(lines.join('\n')).toMatch(
      /Warning: Dropped \d+ lines \([\d.]+ KiB\) of script output beyond the task's cap of 1 MiB/,
    );
    expect(lines.join('\n')).not.toContain('still running');
    const logFile = join(node.sharedStorage, 'TaskLogs', `${task.id}.log`);
    expect(statSync(logFile).size).toBeLessThan(OUTPUT_CAP_BYTES * 1.5);
  }, 90_000);

  it("left nothing behind in the node's data folder but the task logs", () => {
    expect(existsSync(pwned)).toBe(false);
    const filesAfter = filesUnder(dataDir, (path) => path.includes(`${join('shared', 'TaskLogs')}`));
    expect(filesAfter).toEqual(filesBefore);
    expect(filesUnder(node.deployRoot)).toEqual([]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
