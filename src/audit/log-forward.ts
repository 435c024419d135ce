/**
 * A pino destination that hands the gateway's own log lines (already redacted by pino) to the OpenTelemetry log
 * export. The logger exists before telemetry is set up, so lines written before `attach` wait in a small buffer
 * (the first 200; start-up lines matter most). Failure mode: a target that throws loses that line, never the
 * local log.
 */
const EARLY_LINES = 200;

export class LogForwarder {
  private target: ((line: string) => void) | undefined;
  private early: string[] = [];

  write(line: string): void {
    if (this.target) this.deliver(line);
    else if (this.early.length < EARLY_LINES) this.early.push(line);
  }

  attach(target: (line: string) => void): void {
    this.target = target;
    for (const line of this.early.splice(0)) this.deliver(line);
  }

  private deliver(line: string): void {
    try {
      this.target?.(line);
    } catch {
      // the local log has the line
    }
  }
}
