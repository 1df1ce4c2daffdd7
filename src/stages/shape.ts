// The record-shaping tail of a plan on a field list. select, rename, drop, set (value
// or template) and enrich (pass or tag) also offer their step as an operation on a
// FieldList (Stage.shape): the engine's workers run such a tail on two reused lists
// and make one object of the last one for the JSON line, instead of copying the record object
// once per stage (measured in bench/RESULTS.md, session 7).
// The line is byte for byte what process() of each stage then recordJson() give
// (test/stages/shape.test.ts holds them equal on random records and plans).
import { textsSeen } from '../contract/lossless.js';
import { recordJson } from '../contract/record.js';
import type { FieldList, Fields, Rec, ShapeStep, Stage, StageResult } from '../pipeline/types.js';

export function newList(): FieldList {
  return { names: [], vals: [], n: 0, kind: undefined };
}

/** Index of a field, -1 when absent. Lists are short (a record's fields): a scan beats a Map. */
export function find(l: FieldList, name: string): number {
  const names = l.names;
  for (let i = 0; i < l.n; i++) if (names[i] === name) return i;
  return -1;
}

/** Append a field the list does not hold. */
export function push(l: FieldList, name: string, v: unknown): void {
  l.names[l.n] = name;
  l.vals[l.n] = v;
  l.n++;
}

/** out[name] = v on the list: an existing field keeps its place. */
export function put(l: FieldList, name: string, v: unknown): void {
  const i = find(l, name);
  if (i >= 0) l.vals[i] = v;
  else push(l, name, v);
}

export function copyList(from: FieldList, to: FieldList): void {
  for (let i = 0; i < from.n; i++) push(to, from.names[i]!, from.vals[i]);
}

/** fieldOf (define.ts) on a list: `kind` falls back to the decided kind. */
export function fieldIn(l: FieldList, name: string): unknown {
  const i = find(l, name);
  if (i >= 0) return l.vals[i];
  return name === 'kind' ? (l.kind ?? undefined) : undefined;
}

/** An object orders integer-like keys first, whatever their insertion order: such names keep a record off the list. */
export function leadsWithDigit(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/**
 * The object a list stands for: same keys, same order (no name leads with a digit),
 * `__proto__` as a plain own field, as the stages make it. JSON.stringify of it is
 * then what the stages' object gives; V8 builds and encodes it as fast as any
 * hand-written encoder measured (bench/RESULTS.md, session 7).
 */
export function objectOf(l: FieldList): Fields {
  const o: Fields = {};
  for (let i = 0; i < l.n; i++) {
    const k = l.names[i]!;
    if (k === '__proto__') Object.defineProperty(o, k, { value: l.vals[i], enumerable: true, writable: true, configurable: true });
    else o[k] = l.vals[i];
  }
  return o;
}

/** The moves of one layout of names: output names and, for each, the place it comes from. */
interface Moves {
  names: readonly string[];
  outNames: readonly string[];
  from: readonly number[];
}

const LAYOUTS = 8; // records of one input have few layouts (which optional fields are there)

/**
 * A step that only moves fields (select, rename, drop): what it makes of a list depends
 * on the names alone. `plan` does the step once per layout of names, on a list whose
 * values are the places they come from; later lists of that layout only replay the moves.
 */
export function movesStep(adds: readonly string[], plan: (from: FieldList, to: FieldList) => void): ShapeStep {
  const seen: Moves[] = [];
  const probe = newList();
  const out = newList();
  const movesOf = (l: FieldList): Moves => {
    for (let k = 0; k < seen.length; k++) {
      const m = seen[k]!;
      if (sameNames(l, m.names)) return m;
    }
    probe.n = 0;
    for (let i = 0; i < l.n; i++) push(probe, l.names[i]!, i);
    out.n = 0;
    plan(probe, out);
    const m: Moves = { names: l.names.slice(0, l.n), outNames: out.names.slice(0, out.n), from: out.vals.slice(0, out.n) as number[] };
    if (seen.length === LAYOUTS) seen.pop();
    seen.unshift(m);
    return m;
  };
  return {
    adds,
    apply(from, to) {
      const m = movesOf(from);
      const { outNames, from: at } = m;
      for (let j = 0; j < outNames.length; j++) {
        to.names[j] = outNames[j]!;
        to.vals[j] = from.vals[at[j]!];
      }
      to.n = outNames.length;
      return true;
    },
  };
}

function sameNames(l: FieldList, names: readonly string[]): boolean {
  if (l.n !== names.length) return false;
  for (let i = 0; i < l.n; i++) if (l.names[i] !== names[i]) return false;
  return true;
}

/** The stages of a plan before its shaping tail, and the tail (null: none, or it cannot go on a list). */
export function splitShapeTail(stages: readonly Stage[]): { head: readonly Stage[]; tail: ShapeTail | null } {
  let i = stages.length;
  while (i > 0 && stages[i - 1]!.shape !== undefined) i--;
  const steps = stages.slice(i);
  if (steps.length === 0 || steps.some((s) => s.shape!.adds.some(leadsWithDigit))) return { head: stages, tail: null };
  return { head: stages.slice(0, i), tail: new ShapeTail(steps) };
}

/** Runs a plan's shaping tail on one record at a time and gives its JSON line. */
export class ShapeTail {
  private readonly steps: readonly ShapeStep[];
  private readonly a = newList();
  private readonly b = newList();

  constructor(private readonly stages: readonly Stage[]) {
    this.steps = stages.map((s) => s.shape!);
  }

  /** The JSON line of r after the tail's stages, as the file sink encodes it. */
  json(r: Rec): string {
    const l = textsSeen() ? null : this.listed(r);
    return l === null ? this.slow(r) : recordJson(objectOf(l), r.raw);
  }

  private listed(r: Rec): FieldList | null {
    let cur = this.a;
    let next = this.b;
    cur.n = 0;
    cur.kind = next.kind = r.kind;
    const v = r.value;
    let first = true;
    for (const k in v) {
      if (first && leadsWithDigit(k)) return null;
      first = false;
      push(cur, k, v[k]);
    }
    for (let i = 0; i < this.steps.length; i++) {
      next.n = 0;
      if (this.steps[i]!.apply(cur, next)) {
        const t = cur;
        cur = next;
        next = t;
      }
    }
    return cur;
  }

  /** The stages themselves on this one record (they are synchronous), then recordJson. */
  private slow(r: Rec): string {
    let recs = [r];
    for (const s of this.stages) recs = (s.process(recs) as StageResult).kept;
    const x = recs[0]!;
    return recordJson(x.value, x.raw);
  }
}
