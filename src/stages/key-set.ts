// The keys dedupe has seen, stored off the JS heap: each key once in an arena of byte chunks,
// and an open-addressing table that points into it. A JS Set of 1M short strings measured
// ~170 MB of RSS (string objects, the Set's table and the GC headroom around them); this
// holds them in ~31 MB and compares them exactly (no hash-only matches). Measured against
// Set in bench/RESULTS.md ("dedupe keys off the heap", "Session 9 end").
// A key is stored as its hash (4 bytes), its length (a varint), its prefix's number and the
// rest of its bytes: dedupe keys start with the kind and a NUL (`customer\0C0000001`), so
// each such prefix is kept once and named by one byte. The table holds where each key is,
// so there is no array per entry; growing it re-reads the hashes from the arena.
// The engine's workers encode and hash the keys of their lines (KeyPacker), so the main
// thread only looks the bytes up (addAt), making no string of them.
import type { PackedKeys } from '../pipeline/types.js';

const EMPTY = 0;
/** Arena chunk size: chunks are never copied on growth (a doubling arena peaked at 3x its keys). */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;
/** A prefix is the bytes up to and including the first NUL, within this many bytes. */
const MAX_PREFIX = 64;
/** Prefix numbers are 1-255; 0: the key is stored whole (no NUL, or every number taken). */
const MAX_PREFIXES = 255;

/** String.prototype.isWellFormed: in Node 20, not in the ES2022 lib types. */
interface WellFormed {
  isWellFormed(): boolean;
}

export class KeySet {
  /** The keys, chunk after chunk; a key longer than a chunk has a chunk of its own. */
  private chunks: Buffer[] = [];
  private used = CHUNK; // in the newest chunk: none yet
  /** Bytes used in each chunk but the newest. */
  private readonly fill: number[] = [];
  /** Open addressing, linear probing: 0 empty, else where the key is (chunk << CHUNK_BITS | offset) + 1. */
  private table: Int32Array = new Int32Array(1 << 11);
  /** The prefixes met, by number - 1. */
  private readonly prefixes: Buffer[] = [];
  /** The bytes of the key `load` was given last. */
  scratch: Buffer = Buffer.allocUnsafe(256);
  size = 0;
  // the key being looked up: its prefix's number and where the rest of it starts
  private pid = 0;
  private restAt = 0;

  /** The hash of the key `load` put in `scratch` last. */
  loadedHash = 0;
  /** The key's bytes, into `scratch`; their length (and `loadedHash`). */
  load(key: string): number {
    if (key.length * 3 + 1 > this.scratch.length) this.scratch = Buffer.allocUnsafe(key.length * 3 + 1);
    const n = encodeKey(key, this.scratch, 0);
    this.loadedHash = hashOf(this.scratch, 0, n);
    return n;
  }

  has(key: string): boolean {
    const n = this.load(key);
    return this.hasAt(this.scratch, 0, n, this.loadedHash);
  }

  /** Adds the key; false when it was there already. */
  add(key: string): boolean {
    const n = this.load(key);
    return this.addAt(this.scratch, 0, n, this.loadedHash);
  }

  /** Whether the key of `n` bytes at `bytes[off]`, of hash `h` (as encodeKey and hashOf make them), is here. */
  hasAt(bytes: Uint8Array, off: number, n: number, h: number): boolean {
    this.prefixOf(bytes, off, n, false);
    return this.find(bytes, off + n, h) >= 0;
  }

  /** Adds the key of `n` bytes at `bytes[off]` and hash `h`; false when it was there already. */
  addAt(bytes: Uint8Array, off: number, n: number, h: number): boolean {
    this.prefixOf(bytes, off, n, true);
    let slot = this.find(bytes, off + n, h);
    if (slot >= 0) return false;
    slot = -slot - 1;
    this.table[slot] = this.store(bytes, off + n, h) + 1;
    this.size++;
    if (this.size * 2 > this.table.length) this.rehash();
    return true;
  }

  /**
   * The key's prefix number (this.pid) and where its rest starts (this.restAt). A prefix
   * met for the first time is numbered when `add` (while numbers are left): from then on
   * every key with it is stored that way, so each key has one stored form.
   */
  private prefixOf(bytes: Uint8Array, off: number, n: number, add: boolean): void {
    const { prefixes } = this;
    // a prefix holds no NUL but its last byte: a key that starts with it has its first NUL there
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      const len = p.length;
      if (len <= n && bytes[off + len - 1] === 0 && equalBytes(p, 0, bytes, off, len - 1)) {
        this.pid = i + 1;
        this.restAt = off + len;
        return;
      }
    }
    this.pid = 0;
    this.restAt = off;
    if (!add || prefixes.length === MAX_PREFIXES) return;
    const stop = off + Math.min(n, MAX_PREFIX);
    let nul = off;
    while (nul < stop && bytes[nul] !== 0) nul++;
    if (nul === stop) return;
    prefixes.push(Buffer.from(bytes.subarray(off, nul + 1)));
    this.pid = prefixes.length;
    this.restAt = nul + 1;
  }

  /** Stores the key (its rest from this.restAt to `end`, hash `h`); where it starts. */
  private store(bytes: Uint8Array, end: number, h: number): number {
    const rest = end - this.restAt;
    const size = 4 + varintSize(rest) + 1 + rest;
    if (this.used + size > CHUNK || this.chunks.length === 0) {
      if (this.chunks.length > 0) this.fill.push(this.used);
      this.chunks.push(Buffer.allocUnsafeSlow(Math.max(CHUNK, size)));
      this.used = 0;
    }
    const at = ((this.chunks.length - 1) << CHUNK_BITS) | this.used;
    const chunk = this.chunks[this.chunks.length - 1]!;
    let i = this.used;
    chunk[i] = h;
    chunk[i + 1] = h >>> 8;
    chunk[i + 2] = h >>> 16;
    chunk[i + 3] = h >>> 24;
    i = writeVarint(chunk, i + 4, rest);
    chunk[i++] = this.pid;
    chunk.set(bytes.subarray(this.restAt, end), i);
    this.used = i + rest;
    return at;
  }

  /** The key's slot (>= 0) if it is here (this.pid, rest up to `end`), else -(free slot) - 1. */
  private find(bytes: Uint8Array, end: number, h: number): number {
    const { table, chunks } = this;
    const mask = table.length - 1;
    const rest = end - this.restAt;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const at = table[slot]!;
      if (at === EMPTY) return -slot - 1;
      const chunk = chunks[(at - 1) >>> CHUNK_BITS]!;
      const i = (at - 1) & (CHUNK - 1);
      if (hashAt(chunk, i) !== h) continue;
      const len = lengthAt(chunk, i + 4);
      const p = i + 4 + varintSize(len); // its prefix number, then its bytes
      if (len === rest && chunk[p] === this.pid && equalBytes(chunk, p + 1, bytes, this.restAt, rest)) return slot;
    }
  }

  /** A table twice the size: the arena read in order, each key's hash as stored. */
  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    const { chunks, fill } = this;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      const end = c === chunks.length - 1 ? this.used : fill[c]!;
      for (let i = 0; i < end; ) {
        let slot = hashAt(chunk, i) & mask;
        while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
        table[slot] = ((c << CHUNK_BITS) | i) + 1;
        // past the record: its hash, length, prefix number and bytes
        const len = lengthAt(chunk, i + 4);
        i += 4 + varintSize(len) + 1 + len;
      }
    }
    this.table = table;
  }
}

function equalBytes(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[ai + k] !== b[bi + k]) return false;
  return true;
}

/** A stored key's hash, the 4 bytes at i. */
function hashAt(chunk: Buffer, i: number): number {
  return chunk[i]! | (chunk[i + 1]! << 8) | (chunk[i + 2]! << 16) | (chunk[i + 3]! << 24);
}

/** A stored key's length, the varint at i (its size: varintSize). */
function lengthAt(chunk: Buffer, i: number): number {
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    const b = chunk[i++]!;
    len |= (b & 0x7f) << shift;
    if (b < 0x80) return len;
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, i: number, n: number): number {
  while (n >= 0x80) {
    buf[i++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[i++] = n;
  return i;
}

/** FNV-1a over the bytes, then a final mix so the low bits (the table index) vary. */
function hashOf(buf: Uint8Array, off: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = off; i < off + n; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * The key's bytes at `buf[at]` (room for `key.length * 3 + 1` bytes); their length. UTF-8,
 * except for a string with a lone surrogate (JSON input may hold one), which UTF-8 would turn
 * into U+FFFD and so make equal to others: it is 0xFF (never in UTF-8) then its UTF-16 code units.
 */
function encodeKey(key: string, buf: Buffer, at: number): number {
  if ((key as unknown as WellFormed).isWellFormed()) return buf.write(key, at, 'utf8');
  buf[at] = 0xff;
  return 1 + buf.write(key, at + 1, 'utf16le');
}

/** A piece's dedupe keys, line by line, as the bytes and hashes KeySet.addAt takes. */
export class KeyPacker {
  private bytes = Buffer.allocUnsafeSlow(16 * 1024);
  private used = 0;
  private lengths: Int32Array = new Int32Array(1024);
  private hashes: Int32Array = new Int32Array(1024);
  private n = 0;

  /** The next line's key (null: the line passes unchecked). */
  push(key: string | null): void {
    if (this.n === this.lengths.length) {
      this.lengths = grown(this.lengths, this.n * 2);
      this.hashes = grown(this.hashes, this.n * 2);
    }
    if (key === null) {
      this.lengths[this.n++] = -1;
      return;
    }
    const room = key.length * 3 + 1;
    if (this.used + room > this.bytes.length) {
      const b = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + room));
      this.bytes.copy(b, 0, 0, this.used);
      this.bytes = b;
    }
    const len = encodeKey(key, this.bytes, this.used);
    this.hashes[this.n] = hashOf(this.bytes, this.used, len);
    this.lengths[this.n++] = len;
    this.used += len;
  }

  /** The keys so far (each part has an ArrayBuffer of its own, to transfer). */
  finish(): PackedKeys {
    return { bytes: this.bytes.subarray(0, this.used), lengths: this.lengths.subarray(0, this.n), hashes: this.hashes.subarray(0, this.n) };
  }
}

function grown(a: Int32Array, length: number): Int32Array {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
