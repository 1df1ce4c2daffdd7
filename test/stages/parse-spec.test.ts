// `--stage NAME:k=v,...` parsing and its quoting rule.
import { describe, expect, it } from 'vitest';
import { isModulePath, parseStageSpec } from '../../src/stages/parse-spec.js';

describe('--stage spec', () => {
  it.each([
    ['head', { name: 'head', options: {} }],
    ['head:', { name: 'head', options: {} }],
    ['head:n=5', { name: 'head', options: { n: '5' } }],
    ['select:fields=a,b,c', { name: 'select', options: { fields: 'a,b,c' } }],
    ['dedupe:key=a,b,on_duplicate=drop', { name: 'dedupe', options: { key: 'a,b', on_duplicate: 'drop' } }],
    ['filter:expr=country in ("DE","FR"),on-drop=reject', { name: 'filter', options: { expr: 'country in ("DE","FR")', on_drop: 'reject' } }],
    ['filter:expr=a == 1,x==2', { name: 'filter', options: { expr: 'a == 1,x==2' } }],
    ['set:field=x,value="a, b"', { name: 'set', options: { field: 'x', value: 'a, b' } }],
    ["set:field=x,value='say \"hi\"'", { name: 'set', options: { field: 'x', value: 'say "hi"' } }],
    ['set:field=x,value="a \\" b"', { name: 'set', options: { field: 'x', value: 'a " b' } }],
    ['set:field=x,value=', { name: 'set', options: { field: 'x', value: '' } }],
    ['./my.mjs:min=3', { name: './my.mjs', options: { min: '3' } }],
  ])('%s', (spec, want) => {
    expect(parseStageSpec(spec)).toEqual(want);
  });

  it.each([
    ['head:n', "expected '=' after option 'n' at column 7"],
    ['head:=5', 'expected an option name (key=value) at column 6'],
    ['set:value="abc', 'unclosed " in the value of \'value\''],
    ['set:value="a"b', "expected ',' after the quoted value"],
    ['head:n=1,n=2', "option 'n' is given twice"],
    [':n=1', 'expected a stage name'],
  ])('%s is an error', (spec, message) => {
    expect(() => parseStageSpec(spec)).toThrow(message);
  });

  it('tells module paths from stage names', () => {
    expect(isModulePath('./x.mjs')).toBe(true);
    expect(isModulePath('/abs/x')).toBe(true);
    expect(isModulePath('stage.js')).toBe(true);
    expect(isModulePath('dedupe')).toBe(false);
  });
});
