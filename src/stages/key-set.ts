// The keys dedupe has seen, stored off the JS heap: each key's UTF-8 bytes in one arena
// and an open-addressing table of entry numbers. A JS Set of 1M short strings measured
// ~170 MB of RSS (string objects, the Set's table and the GC headroom around them);
// this holds the same keys in ~40 MB and compares them exactly (no hash-only matches).
// Measured against Set in bench/RESULTS.md ("dedupe keys off the heap").
// The engine's workers encode and hash the keys of their lines (KeyPacker), so the main
// thread only looks the bytes up (addAt), making no string of them.
import type { PackedKeys } from '../pipeline/types.js';

const EMPTY = 0;
/** Arena chunk size: chunks are never copied on growth (a doubling arena peaked at 3x its keys). */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;

/** String.prototype.isWellFormed: in Node 20, not in the ES2022 lib types. */
interface WellFormed {
  isWellFormed(): boolean;
}

export class KeySet {
  /** The keys' bytes, chunk after chunk; a key longer than a chunk has a chunk of its own. */
  private chunks: Buffer[] = [];
  private used = CHUNK; // in the newest chunk: none yet
  /** Per entry: where its bytes start (chunk << CHUNK_BITS | offset), their length, and their hash. */
  private starts: Int32Array = new Int32Array(1 << 10);
  private lengths: Int32Array = new Int32Array(1 << 10);
  private hashes: Int32Array = new Int32Array(1 << 10);
  /** Open addressing, linear probing: 0 empty, else entry number + 1. */
  private table: Int32Array = new Int32Array(1 << 11);
  /** The bytes of the key `load` was given last. */
  scratch: Buffer = Buffer.allocUnsafe(256);
  size = 0;

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
    return this.find(bytes, off, n, h) >= 0;
  }

  /** Adds the key of `n` bytes at `bytes[off]` and hash `h`; false when it was there already. */
  addAt(bytes: Uint8Array, off: number, n: number, h: number): boolean {
    let slot = this.find(bytes, off, n, h);
    if (slot >= 0) return false;
    slot = -slot - 1;
    const e = this.size++;
    if (e >= this.starts.length) this.growEntries();
    this.starts[e] = this.store(bytes, off, n);
    this.lengths[e] = n;
    this.hashes[e] = h;
    this.table[slot] = e + 1;
    if (this.size * 2 > this.table.length) this.rehash();
    return true;
  }

  /** Copies the key's bytes into the arena; where they start. */
  private store(bytes: Uint8Array, off: number, n: number): number {
    if (this.used + n > CHUNK || this.chunks.length === 0) {
      this.chunks.push(Buffer.allocUnsafeSlow(Math.max(CHUNK, n)));
      this.used = 0;
    }
    const at = ((this.chunks.length - 1) << CHUNK_BITS) | this.used;
    this.chunks[this.chunks.length - 1]!.set(bytes.subarray(off, off + n), this.used);
    this.used += n;
    return at;
  }

  /** The entry's slot (>= 0) if the key's bytes are present, else -(free slot) - 1. */
  private find(bytes: Uint8Array, off: number, n: number, h: number): number {
    const { table, chunks } = this;
    const mask = table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const at = table[slot]!;
      if (at === EMPTY) return -slot - 1;
      const e = at - 1;
      if (this.hashes[e] === h && this.lengths[e] === n && sameBytes(chunks, this.starts[e]!, bytes, off, n)) return slot;
    }
  }

  private growEntries(): void {
    this.starts = grown(this.starts, this.starts.length * 2);
    this.lengths = grown(this.lengths, this.lengths.length * 2);
    this.hashes = grown(this.hashes, this.hashes.length * 2);
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = this.hashes[e]! & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = e + 1;
    }
    this.table = table;
  }
}

function sameBytes(chunks: Buffer[], at: number, key: Uint8Array, off: number, n: number): boolean {
  const chunk = chunks[at >>> CHUNK_BITS]!;
  const start = at & (CHUNK - 1);
  for (let i = 0; i < n; i++) if (chunk[start + i] !== key[off + i]) return false;
  return true;
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
