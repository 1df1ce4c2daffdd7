// The keys dedupe has seen, stored off the JS heap: each key's UTF-8 bytes in one arena
// and an open-addressing table of entry numbers. A JS Set of 1M short strings measured
// ~170 MB of RSS (string objects, the Set's table and the GC headroom around them);
// this holds the same keys in ~40 MB and compares them exactly (no hash-only matches).
// Measured against Set in bench/RESULTS.md ("dedupe keys off the heap").

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
  private scratch: Buffer = Buffer.allocUnsafe(256);
  size = 0;

  has(key: string): boolean {
    const n = this.encode(key);
    return this.find(n, hashOf(this.scratch, n)) >= 0;
  }

  /** Adds the key; false when it was there already. */
  add(key: string): boolean {
    const n = this.encode(key);
    const h = hashOf(this.scratch, n);
    let slot = this.find(n, h);
    if (slot >= 0) return false;
    slot = -slot - 1;
    const e = this.size++;
    if (e >= this.starts.length) this.growEntries();
    this.starts[e] = this.store(n);
    this.lengths[e] = n;
    this.hashes[e] = h;
    this.table[slot] = e + 1;
    if (this.size * 2 > this.table.length) this.rehash();
    return true;
  }

  /**
   * The key's bytes into scratch; their length. UTF-8, except for a string with a lone
   * surrogate (JSON input may hold one), which UTF-8 would turn into U+FFFD and so make
   * equal to others: it is 0xFF (never in UTF-8) then its UTF-16 code units.
   */
  private encode(key: string): number {
    if (key.length * 3 + 1 > this.scratch.length) this.scratch = Buffer.allocUnsafe(key.length * 3 + 1);
    if ((key as unknown as WellFormed).isWellFormed()) return this.scratch.write(key, 0, 'utf8');
    this.scratch[0] = 0xff;
    return 1 + this.scratch.write(key, 1, 'utf16le');
  }

  /** Copies the scratch bytes into the arena; where they start. */
  private store(n: number): number {
    if (this.used + n > CHUNK || this.chunks.length === 0) {
      this.chunks.push(Buffer.allocUnsafeSlow(Math.max(CHUNK, n)));
      this.used = 0;
    }
    const at = ((this.chunks.length - 1) << CHUNK_BITS) | this.used;
    this.scratch.copy(this.chunks[this.chunks.length - 1]!, this.used, 0, n);
    this.used += n;
    return at;
  }

  /** The entry's slot (>= 0) if the scratch bytes are present, else -(free slot) - 1. */
  private find(n: number, h: number): number {
    const { table, chunks, scratch } = this;
    const mask = table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const at = table[slot]!;
      if (at === EMPTY) return -slot - 1;
      const e = at - 1;
      if (this.hashes[e] === h && this.lengths[e] === n && sameBytes(chunks, this.starts[e]!, scratch, n)) return slot;
    }
  }

  private growEntries(): void {
    const bigger = (a: Int32Array): Int32Array => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.starts = bigger(this.starts);
    this.lengths = bigger(this.lengths);
    this.hashes = bigger(this.hashes);
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

function sameBytes(chunks: Buffer[], at: number, key: Buffer, n: number): boolean {
  const chunk = chunks[at >>> CHUNK_BITS]!;
  const start = at & (CHUNK - 1);
  for (let i = 0; i < n; i++) if (chunk[start + i] !== key[i]) return false;
  return true;
}

/** FNV-1a over the bytes, then a final mix so the low bits (the table index) vary. */
function hashOf(buf: Buffer, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}
