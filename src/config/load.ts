// Reads a pipeline config file: YAML (.yaml/.yml) or JSON (.json), by extension.
// Errors name the file, and the line and column for syntax errors.
import { readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import YAML from 'yaml';
import { RecflowError } from '../errors.js';

export interface LoadedConfig {
  /** The path as given. */
  file: string;
  /** Its folder, as given (relative stays relative): relative paths inside resolve against it. */
  dir: string;
  data: Record<string, unknown>;
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

export function loadConfigFile(file: string): LoadedConfig {
  const fail = (msg: string, cause?: unknown): never => {
    throw new RecflowError('config', msg, { cause });
  };
  const ext = extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) fail(`config ${file}: expected a .yaml, .yml or .json file`);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(`cannot read config ${file}: ${code === 'ENOENT' ? 'file not found' : code}; check the --config path`, err);
  }
  let data: unknown;
  if (ext === '.json') {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const raw = (err as Error).message;
      const pos = /position (\d+)/.exec(raw)?.[1];
      // Node does not always give a position; the YAML parser (JSON is YAML) usually can.
      const yamlPos = pos ? undefined : YAML.parseDocument(text).errors[0]?.linePos?.[0];
      const at = pos ? `:${lineCol(text, Number(pos))}` : yamlPos ? `:${yamlPos.line}:${yamlPos.col}` : '';
      const msg = raw.replace(/ in JSON at position \d+.*$/s, '').replace(/, (\.\.\.)?".*$/s, '');
      fail(`${file}${at}: not valid JSON: ${msg}`, err);
    }
  } else {
    const doc = YAML.parseDocument(text);
    const e = doc.errors[0];
    if (e) {
      const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      fail(`${file}${e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : ''}: not valid YAML: ${msg}`, e);
    }
    data = doc.toJS();
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) fail(`${file}: expected a mapping of option names to values at the top level`);
  return { file, dir: dirname(file), data: data as Record<string, unknown> };
}
