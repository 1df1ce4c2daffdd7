// Which Idempotency-Keys the receiver has taken. A key being taken right now makes
// a concurrent retry of the same batch wait for the outcome instead of racing it.
import { appendFileSync, readFileSync } from 'node:fs';

export interface Ticket {
  /** The batch is stored: remember its key. */
  commit(): void;
  /** The batch was not stored: let the next try of the key proceed. */
  abort(): void;
}

export class IdempotencyStore {
  private readonly taken = new Set<string>();
  private readonly busy = new Map<string, Promise<void>>();

  /** With a keys file, taken keys survive a restart of the receiver. */
  constructor(private readonly keysFile?: string) {
    if (!keysFile) return;
    let text = '';
    try {
      text = readFileSync(keysFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) if (line !== '') this.taken.add(line);
  }

  /** 'duplicate' when the key was already taken; otherwise a ticket that holds the key until settled. */
  async begin(key: string): Promise<'duplicate' | Ticket> {
    for (;;) {
      if (this.taken.has(key)) return 'duplicate';
      const busy = this.busy.get(key);
      if (!busy) break;
      await busy;
    }
    let settle!: () => void;
    this.busy.set(key, new Promise<void>((resolve) => (settle = resolve)));
    const done = (): void => {
      this.busy.delete(key);
      settle();
    };
    return {
      commit: () => {
        this.taken.add(key);
        // Sync, after the records: a crash in between re-takes the batch (at least once), never loses it.
        if (this.keysFile) appendFileSync(this.keysFile, `${key}\n`);
        done();
      },
      abort: done,
    };
  }
}
