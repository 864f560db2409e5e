import { TaskLogIntegrity, TaskLogSink } from './task-log-sink';

type Level = 'info' | 'warning' | 'error' | 'verbose';

/**
 * Beyond this many held lines, further ones are counted, not kept (memory stays bounded) and the
 * task reports them as lost. Lines are held only while the claim is unconfirmed, which in practice
 * is an orchestrator or database outage longer than the heartbeat timeout; a few MB per task.
 */
export const MAX_HELD_LINES = 10_000;

export interface LogGate {
  /** True while this node's claim on the task is known to stand. */
  isOpen(): boolean;
  /** A line is being held: confirm the claim soon. */
  onHeld(): void;
}

/**
 * A task log that writes only while the claim is known to stand. After a pause or outage longer
 * than the heartbeat timeout another node may own the task and its log; lines are then held
 * until a progress report confirms the claim (released) or finds it stale (discarded by abandon).
 */
export class GatedTaskLog implements TaskLogSink {
  private held: { level: Level; message: string }[] = [];
  /** Dropped since the last release (reported in the log then). */
  private droppedLines = 0;
  /** Dropped over the whole run (reported with the task's completion). */
  private droppedTotal = 0;
  private abandoned = false;

  constructor(
    private readonly sink: TaskLogSink,
    private readonly gate: LogGate,
  ) {}

  info(message: string): void {
    this.write('info', message);
  }

  warning(message: string): void {
    this.write('warning', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  verbose(message: string): void {
    this.write('verbose', message);
  }

  /** The claim was just confirmed: write what was held, if the gate is open now. */
  release(): void {
    if (this.gate.isOpen()) this.writeHeld();
  }

  sync(): Promise<void> {
    return this.sink.sync();
  }

  /** Closing means the claim was confirmed (or cannot be, and the orchestrator fences the rest). */
  close(): Promise<void> {
    this.writeHeld();
    return this.sink.close();
  }

  /** The sink's own losses (storage trouble) plus the lines dropped here. */
  integrity(): TaskLogIntegrity {
    const { linesLost, problem } = this.sink.integrity();
    if (this.droppedTotal === 0) return { linesLost, problem };
    const dropped = `${this.droppedTotal} line(s) dropped while the task's claim was unconfirmed`;
    return {
      linesLost: linesLost + this.droppedTotal,
      problem: problem ? `${problem}; ${dropped}` : dropped,
    };
  }

  abandon(): Promise<void> {
    this.abandoned = true;
    this.held = [];
    return this.sink.abandon();
  }

  private write(level: Level, message: string): void {
    if (this.abandoned) return;
    if (this.held.length === 0 && this.gate.isOpen()) {
      this.sink[level](message);
      return;
    }
    if (this.held.length < MAX_HELD_LINES) this.held.push({ level, message });
    else {
      this.droppedLines += 1;
      this.droppedTotal += 1;
    }
    this.gate.onHeld();
  }

  private writeHeld(): void {
    if (this.abandoned) return;
    for (const { level, message } of this.held) this.sink[level](message);
    this.held = [];
    // Dropped lines all came after the held ones: the marker stands where they are missing.
    if (this.droppedLines > 0)
      this.sink.warning(
        `Log gap: ${this.droppedLines} line(s) dropped while the task's claim was unconfirmed`,
      );
    this.droppedLines = 0;
  }
}
