// close() for a source that reads through one generator: idempotent (a second call gets
// the first's promise), and it lets go of what the generator holds (its finally blocks
// run: the file is closed) once a read in flight has ended.

export class Closer<T> {
  private reading: AsyncGenerator<T> | null = null;
  private closing: Promise<void> | undefined;

  /** `stop` ends the reading at its next step (a read waiting on stdin at once). */
  constructor(private readonly stop: () => void) {}

  /** The generator the source reads through now: close() ends it. */
  hold<G extends AsyncGenerator<T>>(gen: G): G {
    this.reading = gen;
    return gen;
  }

  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    this.stop();
    await this.reading?.return(undefined);
  }
}
