// The owner closes what was registered, last first, each step best-effort, bounded, once.
import { describe, expect, it } from 'vitest';
import { Owner, once } from '../../src/pipeline/owner.js';

type StepKind = 'ok' | 'throws' | 'rejects' | 'hangs';

function step(order: string[], name: string, kind: StepKind): () => Promise<void> | void {
  return () => {
    order.push(name);
    if (kind === 'throws') throw new Error(`${name} threw`);
    if (kind === 'rejects') return Promise.reject(new Error(`${name} rejected`));
    if (kind === 'hangs') return new Promise<void>(() => {});
    return Promise.resolve();
  };
}

describe('Owner.dispose', () => {
  it.each<{ name: string; steps: StepKind[]; order: string[]; first: RegExp | undefined }>([
    { name: 'nothing registered', steps: [], order: [], first: undefined },
    { name: 'reverse order', steps: ['ok', 'ok', 'ok'], order: ['s2', 's1', 's0'], first: undefined },
    { name: 'a throwing step does not stop the others', steps: ['ok', 'throws', 'ok'], order: ['s2', 's1', 's0'], first: /s1 threw/ },
    { name: 'the first error is the one reported', steps: ['rejects', 'ok', 'throws'], order: ['s2', 's1', 's0'], first: /s2 threw/ },
    { name: 'a hanging step times out, the rest still close', steps: ['ok', 'hangs', 'ok'], order: ['s2', 's1', 's0'], first: /closing s1 did not finish within 0.05 s/ },
  ])('$name', async ({ steps, order: want, first }) => {
    const owner = new Owner({ stepTimeoutMs: 50 });
    const order: string[] = [];
    steps.forEach((kind, i) => owner.defer(`s${i}`, step(order, `s${i}`, kind)));
    const err = await owner.dispose();
    expect(order).toEqual(want);
    if (first) expect(String(err)).toMatch(first);
    else expect(err).toBeUndefined();
  });

  it('is idempotent: a second dispose closes nothing again and gives the same result', async () => {
    const owner = new Owner();
    const order: string[] = [];
    owner.defer('a', step(order, 'a', 'throws'));
    const [e1, e2] = await Promise.all([owner.dispose(), owner.dispose()]);
    const e3 = await owner.dispose();
    expect(order).toEqual(['a']);
    expect(e1).toBe(e2);
    expect(e3).toBe(e1);
  });

  it('a step closed early is not closed again, and its error goes to the caller', async () => {
    const owner = new Owner();
    const order: string[] = [];
    const closeA = owner.defer('a', step(order, 'a', 'rejects'));
    owner.defer('b', step(order, 'b', 'ok'));
    await expect(closeA()).rejects.toThrow(/a rejected/);
    await expect(closeA()).rejects.toThrow(/a rejected/);
    expect(await owner.dispose()).toBeUndefined();
    expect(order).toEqual(['a', 'b']);
  });

  it('use() registers a resource close and skips one without close', async () => {
    const owner = new Owner();
    const order: string[] = [];
    const res = owner.use('r', { close: step(order, 'r', 'ok') });
    expect(owner.use('none', null)).toBeNull();
    owner.use('plain', {});
    expect(typeof res.close).toBe('function');
    await owner.dispose();
    expect(order).toEqual(['r']);
  });

  it('a step registered after dispose began is closed at once', async () => {
    const owner = new Owner();
    const order: string[] = [];
    await owner.dispose();
    owner.defer('late', step(order, 'late', 'ok'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['late']);
  });
});

describe('once', () => {
  it('runs the function once and hands back the first promise', async () => {
    let n = 0;
    const f = once(async () => void n++);
    await Promise.all([f(), f()]);
    await f();
    expect(n).toBe(1);
  });
});
