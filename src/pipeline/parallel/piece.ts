// One piece of an input (whole records of one CSV/NDJSON source, cut at a line
// end) turned into NDJSON text, dead-letter rows and counters: what the
// sequential FileSource → contract stage → file sink chain does to those records,
// in one synchronous pass with no per-record promises. Runs in a worker thread
// (worker.ts), or on the main thread when there are no workers.
import { checkRecordJson, validateRecord } from '../../contract/index.js';
import { checkRecordJsonPicking, recordJson } from '../../contract/record.js';
import { hasTexts } from '../../contract/lossless.js';
import { RecflowError } from '../../errors.js';
import { CsvTokenizer } from '../../sources/csv.js';
import { holdsReplacement } from '../../sources/dialect.js';
import { invalidEncodingReject } from '../../sources/file.js';
import { headerNames, rowMaker } from '../../sources/csv-header.js';
import { NdjsonTokenizer } from '../../sources/ndjson.js';
import { invalidKind, isPlainName, kindOf } from '../../sinks/output-names.js';
import type { Fields, Kind, Rec, RecordError, Rejected, Stage } from '../types.js';
import { applyPieceStages, pieceStages, type StagesOutcome } from './piece-stages.js';
import { OutBuffer, recordTuple } from './out-buffer.js';
import { allocate, asBuffer } from './buffers.js';
import type { PieceResult, PieceTask } from './piece-types.js';
import { afterLines } from './splitter.js';
import { countKind, feedPiece, isUtf8Piece, outputGuess } from './piece-text.js';
import { decodeMessage } from '../../kafka/decode.js';
import { messageKey, messageKind } from '../../contract/message-key.js';
import { dedupeFields, dedupeKey } from '../../stages/dedupe.js';
import { KeyPacker } from '../../stages/key-set.js';
import { deadRow, lineRow } from '../dead-row.js';
import { rejectsOf } from './piece-rejects.js';
import { objectOf, splitShapeTail, type ShapeTail } from '../../stages/shape.js';
import { ListPlan } from './piece-list.js';

export type { PieceResult, PieceTask } from './piece-types.js';
export { transferables } from './buffers.js';

/** Processes the records of one piece; see PieceTask. Never throws for bad data. */
export class PieceWork {
  private out: OutBuffer | null = null;
  private ends: Uint32Array | null = null;
  private pos: Float64Array | null = null;
  /** With PieceTask.keys: each line's Kafka key and kind, as the Kafka sink would take them from the record. */
  private keys: (string | null)[] | null = null;
  private kinds: (string | null)[] | null = null;
  /** With PieceTask.dedupe: each line's dedupe key (null: passes unchecked) and the kind it is counted under. */
  private dedupeKeys: KeyPacker | null = null;
  private lineKinds: string[] | null = null;
  private readonly dedupeFieldsOf = (kind: Kind): readonly string[] => dedupeFields(this.task.dedupe!.fields, { value: {}, kind });
  private outByKind: Map<string, OutBuffer> | null = null;
  private kept: [string, number][] = [];
  private keptTotal = 0;
  private recordsIn = 0;
  private rejected: Rejected[] = [];
  /** A rejected record carries number texts (contract/lossless.ts). */
  private rejectedTexts = false;
  private header: string[] | null;
  private make: ((cells: string[]) => Fields) | null = null;
  private readonly source: string;
  private readonly kindHint: Kind | undefined;
  private readonly write: boolean;
  private csv: CsvTokenizer | null = null;
  /** Kept records as read, when asked for (to dead-letter them after a sink failure). */
  private keptList: { line: number; kind: Kind; raw: Fields }[] | null = null;
  /** The piece holds bytes that are not UTF-8: records are checked for U+FFFD. */
  private suspect = false;
  private invalid = 0;
  private invalidLines: number[] = [];
  /** The stages records go through here (null: the contract alone, fused, no Rec objects). */
  private readonly stages: readonly Stage[] | null;
  /** The plan's shaping stages at its end, run on a field list as each line is encoded (stages/shape.ts). */
  private readonly tail: ShapeTail | null = null;
  /** A CSV piece whose plan runs on field lists, with no record objects (piece-list.ts). */
  private readonly list: ListPlan | null = null;
  /** The piece's records, for the stages. */
  private recs: Rec[] = [];
  private dropped = 0;

  /**
   * @param alloc gives an output buffer of at least that many bytes (own ArrayBuffer)
   */
  constructor(
    private readonly task: PieceTask,
    private readonly alloc: (bytes: number) => Buffer = allocate,
    stages: readonly Stage[] | null = pieceStages(),
  ) {
    // the tail gives only the line: not where a record's value is needed after it (keys, {kind}, tuples)
    const lineOnly = stages !== null && !task.records && !task.split && !task.keys && !task.dedupe;
    this.list = lineOnly && task.format === 'csv' ? ListPlan.of(stages) : null;
    if (lineOnly && this.list === null && task.write) {
      const { head, tail } = splitShapeTail(stages);
      this.stages = head;
      this.tail = tail;
    } else {
      this.stages = stages;
    }
    this.source = task.source;
    this.kindHint = task.kindHint;
    this.write = task.write;
    this.header = task.header;
    if (task.write) {
      if (task.split) this.outByKind = new Map();
      else this.out = new OutBuffer(alloc(outputGuess(task)), alloc);
      if (task.lines && !task.split) {
        const guess = Math.max(64, task.bytes.length >> 6);
        this.ends = new Uint32Array(guess);
        this.pos = new Float64Array(guess);
        if (task.keys) {
          this.keys = [];
          this.kinds = [];
        }
        if (task.dedupe) {
          this.dedupeKeys = new KeyPacker();
          this.lineKinds = [];
        }
      }
    }
    if (task.header !== null) this.make = rowMaker(task.header);
  }

  /** The records of the piece that pass the contract, as read (the piece is processed again). */
  keptRecords(): { line: number; kind: Kind; raw: Fields }[] | Promise<{ line: number; kind: Kind; raw: Fields }[]> {
    const list: { line: number; kind: Kind; raw: Fields }[] = [];
    this.keptList = list;
    const r = this.run();
    return r instanceof Promise ? r.then(() => list) : list;
  }

  run(): PieceResult | Promise<PieceResult> {
    const t = this.task;
    let pendingByte = -1;
    let pendingLine = 0;
    let lastEmit = -1;
    let error: PieceResult['error'];
    try {
      if (t.format === 'messages') this.messages(t.kafka!);
      else if (t.format === 'csv') {
        const csv = new CsvTokenizer(this, { maxRecordBytes: t.maxRecordBytes, delimiter: t.delimiter });
        this.csv = csv;
        if (!t.first) csv.resume(t.line);
        if (this.header !== null) csv.maxCells = this.header.length;
        lastEmit = this.feed(csv);
        if (csv.pending.length > 0) {
          // a record starts at a line start, and '\n' chars are '\n' bytes one for one
          pendingLine = csv.lineNumber;
          pendingByte = afterLines(asBuffer(t.bytes), pendingLine - t.line);
        }
      } else {
        // Line numbers come from the tokenizer counting from 1: shift them. A piece
        // after the first starts with a '\n' of our own so that a U+FEFF opening it
        // stays text, as it does for the sequential reader (only a BOM is dropped).
        const shift = t.first ? t.line - 1 : t.line - 2;
        const nd = new NdjsonTokenizer(
          {
            row: (value, line) => this.record(value, line + shift),
            bad: (line, raw, reason, code) => this.bad(line + shift, raw, reason, code),
          },
          { maxRecordBytes: t.maxRecordBytes },
        );
        if (!t.first) nd.push('\n');
        lastEmit = this.feed(nd);
      }
    } catch (err) {
      if (!(err instanceof RecflowError)) throw err;
      error = { code: err.code, message: err.message };
    }
    const result = (): PieceResult => this.result(pendingByte, pendingLine, lastEmit, error);
    if (this.stages === null) return result();
    const done = applyPieceStages(this.stages, this.recs);
    this.recs = [];
    if (done instanceof Promise) return done.then((o) => (this.staged(o), result()));
    this.staged(done);
    return result();
  }

  private result(pendingByte: number, pendingLine: number, lastEmit: number, error: PieceResult['error']): PieceResult {
    const t = this.task;
    return {
      id: t.id,
      input: t.bytes,
      recordsIn: this.recordsIn,
      out: this.out ? this.out.finish() : null,
      outByKind: this.outByKind ? [...this.outByKind].map(([k, b]) => [k, b.finish(), b.count]) : [],
      ends: this.ends ? this.ends.slice(0, this.keptTotal) : null,
      pos: this.pos ? this.pos.slice(0, this.keptTotal) : null,
      keys: this.keys,
      kinds: this.kinds,
      dedupeKeys: this.dedupeKeys ? this.dedupeKeys.finish() : null,
      lineKinds: this.lineKinds,
      kept: this.kept,
      keptTotal: this.keptTotal,
      dropped: this.dropped,
      ...this.rejects(),
      pendingByte,
      pendingLine,
      lastEmit,
      header: this.header,
      invalidUtf8: this.invalid,
      invalidLines: this.invalidLines,
      error,
    };
  }

  /** The rejects as the task asks for them; the stages' join the parse errors in line order. */
  private rejects(): Pick<PieceResult, 'rejected' | 'rejectLines' | 'rejectPlaces' | 'rejectCounts'> {
    return rejectsOf(this.rejected, this.task.deadLetter ?? 'rows', this.stages !== null, this.rejectedTexts);
  }

  private feed(tok: CsvTokenizer | NdjsonTokenizer): number {
    // a piece is whole lines: its bytes are complete UTF-8 sequences unless invalid
    this.suspect = !isUtf8Piece(asBuffer(this.task.bytes), this.task.final);
    return feedPiece(this.task, tok, () => this.recordsIn);
  }

  /** Kafka messages: each value decoded as the Kafka source decodes it (parse errors, too long, too deep). */
  private messages(k: NonNullable<PieceTask['kafka']>): void {
    const bytes = asBuffer(this.task.bytes);
    let from = 0;
    for (let i = 0; i < k.valueEnds.length; i++) {
      const end = k.valueEnds[i]!;
      const value = end < 0 ? null : bytes.subarray(from, end);
      if (end >= 0) from = end;
      const m = { value, offset: String(k.offsets[i]), headers: {}, key: null, timestamp: '0', attributes: 0 };
      const d = decodeMessage(k.topic, k.partition, m, k.kinds[i] ?? undefined, this.task.maxRecordBytes);
      this.recordsIn++;
      if ('rejected' in d) this.rejected.push(d.rejected);
      else this.recs.push(d.rec);
    }
  }

  /** CsvRowHandler: a row of cells (the first one is the header). */
  row(cells: string[], line: number): void {
    const make = this.make;
    if (make === null) {
      const header = headerNames(cells, this.source);
      this.header = header;
      this.csv!.maxCells = header.length;
      this.make = rowMaker(header);
      return;
    }
    this.record(make(cells), line);
  }

  /** A parse error: the same dead-letter row as the sequential reader's. */
  bad(line: number, raw: string, reason: string, code: 'parse_error' | 'too_long' = 'parse_error'): void {
    this.recordsIn++;
    this.rejected.push(lineRow(this.source, line, this.kindHint, code, reason, raw));
  }

  private record(raw: Fields, line: number): void {
    this.recordsIn++;
    if (this.suspect && holdsReplacement(raw)) {
      this.invalid++;
      if (this.invalidLines.length < 5) this.invalidLines.push(line);
      if (this.task.strictEncoding) {
        this.rejected.push(invalidEncodingReject(this.source, line, this.kindHint, raw));
        if (hasTexts(raw)) this.rejectedTexts = true;
        return;
      }
    }
    if (this.list !== null) return this.listed(raw, line);
    if (this.stages !== null) {
      this.recs.push(this.rec(raw, line));
      return;
    }
    // validate only (no output, or the piece read again for its records): no JSON text
    let json: string | null = null;
    let picked: Fields | null = null;
    let res: { kind: Kind | null; errors: RecordError[] };
    if (this.write && this.keptList === null) {
      // a dedupe key: its fields' values from the check, not the text parsed back
      const r = this.dedupeKeys !== null && this.keys === null ? checkRecordJsonPicking(raw, this.kindHint, this.dedupeFieldsOf) : checkRecordJson(raw, this.kindHint);
      json = r.json;
      picked = 'picked' in r ? (r.picked as Fields | null) : null;
      res = r;
    } else {
      res = validateRecord(raw, this.kindHint);
    }
    if (res.kind === null || res.errors.length > 0) {
      this.rejected.push(deadRow({ source: this.source, line }, res.kind, res.errors, raw));
      if (hasTexts(raw)) this.rejectedTexts = true;
      return;
    }
    const kind = res.kind as string;
    this.keptTotal++;
    countKind(this.kept, kind);
    if (this.keptList !== null) this.keptList.push({ line, kind: res.kind, raw });
    if (json === null) return;
    const out = this.out;
    if (out !== null) {
      out.line(json);
      if (this.ends !== null) this.position(out.length, line);
      // the fused pass builds no value object: the key comes from the text written
      if (this.keys !== null || this.dedupeKeys !== null) this.keyed(picked ?? (JSON.parse(json) as Fields), res.kind, kind);
      return;
    }
    const byKind = this.outByKind!;
    let o = byKind.get(kind);
    if (o === undefined) byKind.set(kind, (o = new OutBuffer(this.alloc(outputGuess(this.task) >> 1), this.alloc)));
    o.line(json);
  }

  private rec(raw: Fields, line: number): Rec {
    return { value: raw, raw, source: this.source, line, origin: this.task.origin, pos: line, kindHint: this.kindHint };
  }

  /** One record through the plan on field lists (or, when a list cannot stand for it, the stages). */
  private listed(raw: Fields, line: number): void {
    const l = this.list!;
    const encode = this.write && this.keptList === null;
    const how = l.run(raw, this.kindHint);
    if (how === 'slow') {
      // built-in stages answer at once
      this.staged(applyPieceStages(this.stages!, [this.rec(raw, line)]) as StagesOutcome);
      return;
    }
    if (how === 'dropped') {
      this.dropped++;
      return;
    }
    if (how === 'rejected') {
      this.rejected.push(deadRow({ source: this.source, line }, l.kind, l.errors!, raw));
      if (hasTexts(raw)) this.rejectedTexts = true;
      return;
    }
    const kind = l.kind!;
    this.keptTotal++;
    countKind(this.kept, kind);
    if (this.keptList !== null) this.keptList.push({ line, kind, raw });
    if (!encode) return;
    this.out!.line(recordJson(objectOf(l.fields!), raw));
    if (this.ends !== null) this.position(this.out!.length, line);
  }

  /**
   * What the stages kept is encoded as the file sink encodes a Rec (recordJson); their
   * rejects join the parse errors in line order, as the sequential Runner orders a batch's.
   */
  private staged(o: StagesOutcome): void {
    this.dropped += o.dropped;
    const rejected = this.rejected;
    for (const r of o.rejected) rejected.push(r);
    const encode = this.write && this.keptList === null;
    for (let i = 0; i < o.kept.length; i++) {
      const r = o.kept[i]!;
      // a {kind} value names a file: one that is not a plain name is refused, as the sink refuses it
      const file = this.outByKind !== null ? kindOf(r) : '';
      if (this.outByKind !== null && !isPlainName(file)) {
        rejected.push(invalidKind(r));
        continue;
      }
      const kind = r.kind ?? 'unknown';
      this.keptTotal++;
      countKind(this.kept, kind);
      if (this.keptList !== null) this.keptList.push({ line: r.line!, kind, raw: r.raw });
      if (!encode) continue;
      const json = this.task.records ? recordTuple(r) : this.tail !== null ? this.tail.json(r) : recordJson(r.value, r.raw);
      if (this.out !== null) {
        this.out.line(json);
        if (this.ends !== null) this.position(this.out.length, r.pos);
        if (this.keys !== null || this.dedupeKeys !== null) this.keyed(r.value, r.kind, kind);
        continue;
      }
      let b = this.outByKind!.get(file);
      if (b === undefined) this.outByKind!.set(file, (b = new OutBuffer(this.alloc(outputGuess(this.task) >> 1), this.alloc)));
      b.line(json);
    }
  }

  /** Record the end and line of the output line just written (the keptTotal-th). */
  private position(end: number, line: number): void {
    const i = this.keptTotal - 1;
    if (i >= this.ends!.length) {
      const ends = new Uint32Array(this.ends!.length * 2);
      ends.set(this.ends!);
      this.ends = ends;
      const pos = new Float64Array(ends.length);
      pos.set(this.pos!);
      this.pos = pos;
    }
    this.ends![i] = end;
    this.pos![i] = line;
  }

  /** The Kafka key and kind of the line just written, and its dedupe key (PieceTask.dedupe) and counted kind. */
  private keyed(value: Fields, kind: Kind | null | undefined, counted: string): void {
    if (this.keys !== null) {
      const k = messageKind(value, kind);
      this.keys.push(messageKey(value, k));
      this.kinds!.push(k ?? null);
    }
    if (this.dedupeKeys !== null) {
      const r = { value, kind };
      this.dedupeKeys.push(dedupeKey(r, dedupeFields(this.task.dedupe!.fields, r)));
      this.lineKinds!.push(counted);
    }
  }
}

export function processPiece(task: PieceTask, alloc?: (bytes: number) => Buffer): PieceResult | Promise<PieceResult> {
  return new PieceWork(task, alloc).run();
}
