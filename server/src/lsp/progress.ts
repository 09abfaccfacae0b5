// `window/workDoneProgress` for long work (registry resolution). The progress only appears when the work
// outlasts a short delay, so quick answers from a cache do not flash a notification.
import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';

export interface ProgressOptions {
  /** Client capability `window.workDoneProgress`. */
  supported: boolean;
  /** Show the progress only after this long; default 500 ms. */
  delayMs?: number;
  /** Makes the progress cancellable; called when the user cancels it. */
  onCancel?: () => void;
}

export type ReportProgress = (message: string, percentage?: number) => void;

export async function withProgress<T>(
  connection: Pick<Connection, 'window'>,
  title: string,
  options: ProgressOptions,
  task: (report: ReportProgress) => Promise<T>,
): Promise<T> {
  if (!options.supported) return task(() => undefined);
  let last: { message: string; percentage?: number } | undefined;
  let reporter: WorkDoneProgressServerReporter | undefined;
  let finished = false;
  const timer = setTimeout(() => {
    let created: Promise<WorkDoneProgressServerReporter>;
    try {
      created = connection.window.createWorkDoneProgress();
    } catch {
      return; // the connection is gone
    }
    created
      .then((r) => {
        if (finished) {
          r.done();
          return;
        }
        reporter = r;
        r.begin(title, last?.percentage, last?.message, options.onCancel !== undefined);
        if (options.onCancel) r.token.onCancellationRequested(options.onCancel);
      })
      .catch(() => undefined);
  }, options.delayMs ?? 500);
  const report: ReportProgress = (message, percentage) => {
    last = percentage === undefined ? { message } : { message, percentage };
    if (!reporter) return;
    if (percentage === undefined) reporter.report(message);
    else reporter.report(percentage, message);
  };
  try {
    return await task(report);
  } finally {
    finished = true;
    clearTimeout(timer);
    reporter?.done();
  }
}
