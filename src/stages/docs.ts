// Reads the stage definitions back (zod schemas included) into the text of
// `recflow stages` and the reference part of docs/stages.md. Nothing here is
// written by hand per stage: change a schema and both outputs change.
import type { z } from 'zod';
import type { StageDefinition } from './define.js';
import { FUNCTIONS, signature } from './functions.js';

export interface OptionDoc {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  description: string;
}

export interface StageDoc {
  name: string;
  summary: string;
  options: OptionDoc[];
  examples: string[];
  notes: string[];
}

type AnyDef = { typeName?: string; [k: string]: unknown };

function defOf(s: z.ZodTypeAny): AnyDef {
  return s._def as AnyDef;
}

function typeName(s: z.ZodTypeAny): string {
  const d = defOf(s);
  switch (d.typeName) {
    case 'ZodString':
      return 'text';
    case 'ZodBoolean':
      return 'true|false';
    case 'ZodNumber': {
      const checks = (d.checks as { kind: string; value?: number }[]) ?? [];
      const int = checks.some((c) => c.kind === 'int');
      const min = checks.find((c) => c.kind === 'min')?.value;
      const max = checks.find((c) => c.kind === 'max')?.value;
      const base = int ? 'integer' : 'number';
      if (min !== undefined && max !== undefined && max < Number.MAX_SAFE_INTEGER) return `${base} ${min}..${max}`;
      return min !== undefined ? `${base} >= ${min}` : base;
    }
    case 'ZodEnum':
      return (d.values as string[]).join('|');
    case 'ZodArray':
      return `list of ${typeName(d.type as z.ZodTypeAny)} (a,b,c)`;
    case 'ZodUnion':
      return (d.options as z.ZodTypeAny[]).map(typeName).join(' or ');
    case 'ZodRecord':
      return 'map';
    case 'ZodEffects':
      return typeName(d.schema as z.ZodTypeAny);
    default:
      return 'any value';
  }
}

export function optionDocs(def: StageDefinition): OptionDoc[] {
  const shape = def.options.shape as Record<string, z.ZodTypeAny>;
  return Object.entries(shape).map(([name, schema]) => {
    let s = schema;
    let required = true;
    let dflt: unknown;
    let description = s.description ?? '';
    for (;;) {
      const d = defOf(s);
      if (d.typeName === 'ZodDefault') {
        required = false;
        dflt = (d.defaultValue as () => unknown)();
        s = d.innerType as z.ZodTypeAny;
      } else if (d.typeName === 'ZodOptional') {
        required = false;
        s = d.innerType as z.ZodTypeAny;
      } else break;
      description ||= s.description ?? '';
    }
    return { name, type: typeName(s), required, default: dflt, description };
  });
}

export function stageDoc(def: StageDefinition): StageDoc {
  return { name: def.name, summary: def.summary, options: optionDocs(def), examples: def.examples, notes: def.notes ?? [] };
}

/** The example as a user types it in a POSIX shell. */
export function shellExample(spec: string): string {
  const quoted = /^[A-Za-z0-9_:=.,/-]+$/.test(spec) ? spec : `'${spec.replaceAll("'", `'\\''`)}'`;
  return `recflow run data.csv --stage ${quoted}`;
}

function defaultText(o: OptionDoc): string {
  if (o.required) return 'required';
  if (o.default === undefined) return 'optional';
  if (o.default === '') return 'default: ""';
  return `default: ${Array.isArray(o.default) ? o.default.join(',') : String(o.default)}`;
}

/** Plain text for the terminal: one block per stage. */
export function stagesText(defs: readonly StageDefinition[], width = 100, withNotes = false): string {
  const out: string[] = [];
  for (const def of defs) {
    const doc = stageDoc(def);
    out.push(wrap(`${doc.name}: ${doc.summary}`, width, 2));
    if (doc.options.length === 0) out.push('  (no options)');
    const nameW = Math.max(0, ...doc.options.map((o) => o.name.length));
    for (const o of doc.options) {
      const head = `  ${o.name.padEnd(nameW)}  `;
      out.push(head + wrap(`${o.type}, ${defaultText(o)}. ${o.description}`, width, head.length, head.length).trimEnd());
    }
    for (const ex of doc.examples) out.push(`  example: ${shellExample(ex)}`);
    if (withNotes) for (const n of doc.notes) out.push('', '  ' + wrap(n, width, 2, 2));
    out.push('');
  }
  if (usesExpressions(defs)) out.push(functionsText(width), '');
  return out.join('\n');
}

/** filter and set take expressions: where they are listed, so are the functions. */
function usesExpressions(defs: readonly StageDefinition[]): boolean {
  return defs.some((d) => d.name === 'filter' || d.name === 'set');
}

/** The function table (functions.ts) for the terminal. */
function functionsText(width: number): string {
  const sigs = FUNCTIONS.map(signature);
  const w = Math.max(...sigs.map((x) => x.length));
  const lines = FUNCTIONS.map((f, i) => {
    const head = `  ${sigs[i]!.padEnd(w)}  `;
    return head + wrap(`${f.returns}: ${f.doc.replaceAll('`', '')}`, width, head.length, head.length).trimEnd();
  });
  return ['functions in expressions (filter expr=, set expr=); a missing or wrong-typed argument gives null:', ...lines].join('\n');
}

/** Wrap to `width` columns; the first line starts at column `first`, the others are indented by `indent`. */
function wrap(text: string, width: number, indent: number, first = 0): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > Math.max(width - (lines.length ? indent : first), 30)) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return lines.join('\n' + ' '.repeat(indent));
}

const cell = (s: string): string => s.replaceAll('|', '\\|');

/** The reference section of docs/stages.md. */
export function stagesMarkdown(defs: readonly StageDefinition[]): string {
  const out: string[] = [];
  for (const def of defs) {
    const doc = stageDoc(def);
    out.push(`### \`${doc.name}\``, '', doc.summary, '');
    if (doc.options.length === 0) out.push('No options.', '');
    else {
      out.push('| option | type | default | description |', '|---|---|---|---|');
      for (const o of doc.options) {
        out.push(`| \`${o.name}\` | ${cell(o.type)} | ${cell(defaultText(o).replace(/^default: /, ''))} | ${cell(o.description)} |`);
      }
      out.push('');
    }
    for (const n of doc.notes) out.push(n, '');
    out.push('```sh', ...doc.examples.map(shellExample), '```', '');
  }
  if (usesExpressions(defs)) {
    out.push('### Expression functions', '', 'For `filter expr=` and `set expr=`; see "Functions" above for null and type rules.', '');
    out.push('| function | arguments | result | description |', '|---|---|---|---|');
    for (const f of FUNCTIONS) {
      const args = f.params.map(([n, k]) => `${n}: ${k}`).join(', ') || '(none)';
      out.push(`| \`${signature(f)}\` | ${args} | ${f.returns} | ${cell(f.doc)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
