import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import {
  ApiClient,
  Deployer,
  eventually,
  FINISHED,
  FlotillaCluster,
  Identified,
  mountSmallTmpfs,
  SmallTmpfs,
  startFlotillaCluster,
} from '@flotilla/testing';

import { unmountForSure } from './storage-support/mounted-folder';
import { cleanUpAll, keepClusterOutput } from './support/spec-cleanup';
import {
  auditNumberedLines,
  LogRecord,
  NumberedLogAudit,
  readWholeLog,
  tornLinesInFile,
  tornRecords,
} from './storage-support/task-log-audit';

const LINES = 1500;
/** How long the executor keeps retrying a refused log write before it counts the lines lost. */
const LOG_RETRY_MS = 1000;
/** 1,500 numbered lines in bursts of 50 over about 9 s, so storage can fill and free mid-run. */
const SCRIPT = [
  `for i in $(seq 1 ${LINES}); do`,
  `  printf 'numbered line %04d of ${LINES}\\n' "$i"`,
  `  if [ $((i % 50)) -eq 0 ]; then sleep 0.3; fi`,
  'done',
].join('\n');
const NUMBERED = /^numbered line (\d{4}) of 1500$/;
/** A short run that starts and ends while the folder is full. */
const SHORT_LINES = 20;
const SHORT_SCRIPT = `for i in $(seq 1 ${SHORT_LINES}); do echo "short line $i"; done`;
const SHORT_NUMBERED = /^short line (\d+)$/;

/** The REST task with the log-integrity fields (H3). */
interface TaskView {
  id: string;
  state: string;
  hasWarningsOrErrors: boolean;
  logLinesLost: number;
  logProblem: string;
  errorMessage: string;
}

/** Stretches of missing numbers, for the record of what a run lost ("245–1000"). */
const holes = (present: number[]): string[] =>
  [0, ...present, LINES + 1].flatMap((number, index, all) =>
    index > 0 && number > all[index - 1] + 1 ? [`${all[index - 1] + 1}–${number - 1}`] : [],
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Task logs on full shared storage: TaskLogs is a small tmpfs, filled while a deployment prints
 * 1,500 numbered lines and freed part-way. The task must not pass for a clean Success: it says how
 * many lines were lost and why, the log has no torn record and a `Log gap: ` marker exactly where
 * lines are missing. With room again, the next deployment's log is whole.
 */
describe('task logs on full shared storage', () => {
  let cluster: FlotillaCluster;
  let api: ApiClient;
  let deployer: Deployer;
  let taskLogs: SmallTmpfs | undefined;
  let release: Identified;
  let shortRelease: Identified;
  let environment: Identified;
  /** What the first deployment's log looked like, for the accounting once a whole log is known. */
  let faulty: { task: TaskView; audit: NumberedLogAudit } | undefined;

  beforeAll(async () => {
    cluster = await startFlotillaCluster({
      nodes: 1,
      redis: false,
      env: { FLOTILLA_TASK_LOG_RETRY_MS: String(LOG_RETRY_MS) },
    });
    api = new ApiClient(cluster.baseUrl);
    expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    deployer = new Deployer(api);
    [environment] = await deployer.environments(1, 'Full storage');
    release = await deployer.release(SCRIPT, false);
    shortRelease = await deployer.release(SHORT_SCRIPT, false);
    taskLogs = await mountSmallTmpfs(join(cluster.sharedStorage, 'TaskLogs'), 2 * 1024 * 1024);
  }, 240_000);

  afterAll(async () => {
    await cleanUpAll([
      () => unmountForSure(taskLogs),
      () => keepClusterOutput(cluster, 'task-logs'),
      async () => cluster?.stop(),
    ]);
  }, 60_000);

  const finished = async (taskId: string): Promise<TaskView> => {
    await deployer.waitForTask(taskId, (task) => FINISHED.includes(task.state), 60_000, 'finished');
    const task = await api.get<TaskView>(`/api/tasks/${taskId}`);
    return task.body;
  };

  const warnings = (records: LogRecord[]) =>
    records.filter((record) => record.level === 'Warning' || record.level === 'Error');

  it('storage full part-way: Success with warnings, lines lost counted, no torn record, a gap marker where lines are missing', async () => {
    const folder = taskLogs as SmallTmpfs;
    const taskId = await deployer.deploy(release, environment);
    // Let about a hundred lines in first, so the gap falls between numbered lines.
    await eventually(
      async () =>
        ((await stat(join(folder.dir, `${taskId}.log`)).catch(() => undefined))?.size ?? 0) > 8_000 ||
        undefined,
      30_000,
      'the first lines of the log',
    );
    await folder.fill();
    // Longer than the retry window, so some lines are given up, while the script still prints.
    await sleep(LOG_RETRY_MS + 2000);
    await folder.free();

    const task = await finished(taskId);
    const records = await readWholeLog(api, taskId);
    const audit = auditNumberedLines(records, LINES, NUMBERED);
    faulty = { task, audit };
    process.stdout.write(
      `[faults] task log on full storage: ${audit.present.length} of ${LINES} numbered lines present, ` +
        `logLinesLost ${task.logLinesLost}, markers account for ${audit.linesMarkedMissing}, ` +
        `holes ${JSON.stringify(holes(audit.present))}, logProblem "${task.logProblem}"\n`,
    );
    // One comparison, so a failure shows the task's state and the log's shape together.
    expect({
      state: task.state,
      hasWarningsOrErrors: task.hasWarningsOrErrors,
      someLinesLost: task.logLinesLost > 0,
      logProblem: task.logProblem,
      torn: tornRecords(records),
      tornInFile: await tornLinesInFile(join(folder.dir, `${taskId}.log`)),
      ordered: audit.present.every((number, index) => index === 0 || number > audit.present[index - 1]),
      someMissing: audit.missing > 0,
      unmarkedHoles: audit.unmarkedHoles,
      markersWithoutHole: audit.markersWithoutHole,
      linesMarkedMissing: audit.linesMarkedMissing,
      markersNotNamingFullStorage: records
        .filter(
          (record) => record.message.startsWith('Log gap: ') && !/shared storage full/i.test(record.message),
        )
        .map((record) => record.message),
      everyMissingLineCounted: task.logLinesLost >= audit.missing,
    }).toEqual({
      state: 'Success',
      hasWarningsOrErrors: true,
      someLinesLost: true,
      logProblem: expect.stringMatching(/shared storage.*full/i) as unknown,
      torn: [],
      tornInFile: [],
      ordered: true,
      someMissing: true,
      unmarkedHoles: [],
      markersWithoutHole: [],
      linesMarkedMissing: task.logLinesLost,
      markersNotNamingFullStorage: [],
      everyMissingLineCounted: true,
    });
  }, 90_000);

  it('space freed: the next deployment’s log is complete, with no warning', async () => {
    const taskId = await deployer.deploy(release, environment);
    const task = await finished(taskId);
    const records = await readWholeLog(api, taskId);
    const audit = auditNumberedLines(records, LINES, NUMBERED);
    expect({
      state: task.state,
      hasWarningsOrErrors: task.hasWarningsOrErrors,
      logLinesLost: task.logLinesLost,
      logProblem: task.logProblem,
      torn: tornRecords(records),
      tornInFile: await tornLinesInFile(join((taskLogs as SmallTmpfs).dir, `${taskId}.log`)),
      warnings: warnings(records),
      missing: audit.missing,
      inOrder: audit.present.every((number, index) => number === index + 1),
    }).toEqual({
      state: 'Success',
      hasWarningsOrErrors: false,
      logLinesLost: 0,
      logProblem: '',
      torn: [],
      tornInFile: [],
      warnings: [],
      missing: 0,
      inOrder: true,
    });

    // Accounting of the first run: the lines it lost are the numbered lines missing from its log,
    // plus at most the runner's own lines (a whole log shows how many of those a run writes).
    expect(faulty).toBeDefined();
    const { task: first, audit: firstAudit } = faulty as NonNullable<typeof faulty>;
    expect(first.logLinesLost - firstAudit.missing).toBeGreaterThanOrEqual(0);
    expect(first.logLinesLost - firstAudit.missing).toBeLessThanOrEqual(audit.otherRecords.length);
  }, 90_000);

  it('storage full for the whole run: Success with warnings, and the log says how many lines are missing', async () => {
    const folder = taskLogs as SmallTmpfs;
    await folder.fill();
    let task: TaskView;
    try {
      task = await finished(await deployer.deploy(shortRelease, environment));
    } finally {
      await folder.free();
    }
    const records = await readWholeLog(api, task.id);
    const audit = auditNumberedLines(records, SHORT_LINES, SHORT_NUMBERED);
    expect({
      state: task.state,
      hasWarningsOrErrors: task.hasWarningsOrErrors,
      everyLineCounted: task.logLinesLost >= SHORT_LINES,
      logProblem: task.logProblem,
      torn: tornRecords(records),
      tornInFile: await tornLinesInFile(join(folder.dir, `${task.id}.log`)),
      present: audit.present,
      unmarkedHoles: audit.unmarkedHoles,
      linesMarkedMissing: audit.linesMarkedMissing,
    }).toEqual({
      state: 'Success',
      hasWarningsOrErrors: true,
      everyLineCounted: true,
      logProblem: expect.stringMatching(/shared storage.*full/i) as unknown,
      torn: [],
      tornInFile: [],
      present: [],
      unmarkedHoles: [],
      linesMarkedMissing: task.logLinesLost,
    });
  }, 90_000);
});
