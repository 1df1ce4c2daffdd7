// The shaping tail on a field list (stages/shape.ts) against the stages themselves:
// for random records (odd names, every kind of value) and random chains of select,
// rename, drop, set and enrich, the line is byte for byte process() then recordJson().
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordJson } from '../../src/contract/record.js';
import type { Fields, Rec, Stage, StageResult } from '../../src/pipeline/types.js';
import { stageRefFromFlag } from '../../src/stages/parse-spec.js';
import { planStages } from '../../src/stages/plan.js';
import { splitShapeTail } from '../../src/stages/shape.js';
import { tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'ref.csv'), 'country,region,a,email\nDE,EMEA,from-ref,\nFR,EMEA,,x@ref.example\nUS,AMER,us-a,us@ref.example\n');
});
afterAll(() => cleanup());

const SPECS = [
  'select:fields=a,kind,email,a',
  'select:fields=b,country,__proto__',
  'drop:fields=a,toJSON',
  'rename:fields=a:b',
  'rename:fields=a:c,b:c',
  'rename:fields=email:a,country:kind',
  'set:field=a,value=K',
  'set:field=b,template={a}-{kind}-{nothing}',
  'set:field=email,template={country},overwrite=false',
  'enrich:file=ref.csv,key=country',
  'enrich:file=ref.csv,key=country,fields=region,on_missing=tag',
  'enrich:file=ref.csv,key=country,fields=a,email,overwrite=true,prefix=',
  'enrich:file=ref.csv,key=a,ref_key=country,fields=region,prefix=r_,ignore_case=true',
];

const NAMES = ['kind', 'a', 'b', 'c', 'email', 'country', '__proto__', 'x"y', 'é', 'toJSON', '1', '07', 'line\nbreak'];
const VALUE = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('DE', 'de ', 'US', 'FR', '', '  '),
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, NaN, Infinity, 1e21, 5e-7),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue(),
  fc.constant([1, 'two', { three: 3 }]),
);
const RECORD = fc.record({
  fields: fc.array(fc.tuple(fc.constantFrom(...NAMES), VALUE), { maxLength: 10 }),
  kind: fc.constantFrom('customer', 'inventory', null, undefined),
});

/** An object with these own fields in this order, `__proto__` included as a plain field. */
function objectOf(fields: [string, unknown][]): Fields {
  const o: Fields = {};
  for (const [k, v] of fields) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

function recOf(fields: [string, unknown][], kind: string | null | undefined): Rec {
  const value = objectOf(fields);
  return { value, raw: value, source: 'x.ndjson', line: 1, origin: 'x.ndjson', pos: 1, kind, kindHint: undefined } as Rec;
}

async function stagesOf(specs: string[]): Promise<readonly Stage[]> {
  const refs = specs.map((s) => stageRefFromFlag(s, dir));
  return (await planStages(refs, { validate: false, warn: () => {} })).stages;
}

describe('the shaping tail on a field list', () => {
  it('gives what the stages and recordJson give, on random records and plans', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...SPECS), { minLength: 1, maxLength: 5 }), fc.array(RECORD, { minLength: 1, maxLength: 20 }), async (specs, records) => {
        const stages = await stagesOf(specs);
        const { head, tail } = splitShapeTail(stages);
        expect(tail, `plan ${specs.join(' | ')}`).not.toBeNull();
        expect(head.map((s) => s.name)).toEqual(['kind']);
        for (const r of records) {
          const listed = recOf(r.fields, r.kind);
          const plain = recOf(r.fields, r.kind);
          let recs = [plain];
          for (const s of stages.slice(head.length)) recs = (s.process(recs) as StageResult).kept;
          expect(tail!.json(listed), `plan ${specs.join(' | ')}, record ${JSON.stringify(r.fields)}`).toBe(recordJson(recs[0]!.value, recs[0]!.raw));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps plans off the list when a stage adds an integer-like name, or cannot reshape alone', async () => {
    for (const specs of [['select:fields=a', 'set:field=7,value=x'], ['rename:fields=a:9']]) {
      expect(splitShapeTail(await stagesOf(specs)).tail, specs.join(' | ')).toBeNull();
    }
    const cut = splitShapeTail(await stagesOf(['select:fields=a', 'set:field=b,expr=1 + 1', 'enrich:file=ref.csv,key=country,on_missing=reject', 'drop:fields=b']));
    expect(cut.head.map((s) => s.name)).toEqual(['kind', 'select', 'set', 'enrich']);
    expect(cut.tail).not.toBeNull();
  });
});
