// Everything recflow says on stderr goes through here, so `--log-format json` turns every
// status line, warning, error and the summary into one JSON object a line (time, level,
// message, fields) for log shippers. Text mode writes the lines as they always were.
// Imports nothing, so every layer can use it.

export type LogFormat = 'text' | 'json';
export type Level = 'info' | 'warn' | 'error';

let format: LogFormat = 'text';

export function setLogFormat(f: LogFormat): void {
  format = f;
}

export function logFormat(): LogFormat {
  return format;
}

/** `--log-format` from argv or RECFLOW_LOG_FORMAT, read before commander so that its own errors follow it too. */
export function logFormatFrom(argv: string[], env: NodeJS.ProcessEnv): LogFormat {
  const i = argv.findIndex((a) => a === '--log-format' || a.startsWith('--log-format='));
  const v = i < 0 ? env.RECFLOW_LOG_FORMAT : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  return v === 'json' ? 'json' : 'text';
}

/**
 * One line on stderr. `text` is the line as text mode shows it (colour included);
 * without it, `recflow: ` + the message (with `warning: ` / `error: ` for those levels).
 */
export function log(level: Level, message: string, fields?: Record<string, unknown>, text?: string): void {
  if (format === 'json') {
    const row: Record<string, unknown> = { time: new Date().toISOString(), level, message };
    if (fields && Object.keys(fields).length > 0) row.fields = fields;
    process.stderr.write(JSON.stringify(row) + '\n');
    return;
  }
  const prefix = level === 'warn' ? 'warning: ' : level === 'error' ? 'error: ' : '';
  process.stderr.write(text ?? `recflow: ${prefix}${message}\n`);
}
