// src/bool.ts: the one true/false reading of text, shared by env/config values, Kafka's
// switches and stage options.
import { describe, expect, it } from 'vitest';
import { boolFromText, switchFromText } from '../src/bool.js';

describe('true/false from text', () => {
  it.each([
    ['true', true],
    ['YES', true],
    [' on ', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['off', false],
    ['0', false],
    ['', undefined],
    ['  ', undefined],
    ['2', undefined],
    ['truthy', undefined],
    ['nope', undefined],
  ] as const)('boolFromText(%j) is %j', (text, want) => {
    expect(boolFromText(text)).toBe(want);
  });

  it.each([
    ['', false],
    ['   ', false],
    ['on', true],
    ['0', false],
    ['maybe', undefined],
  ] as const)('switchFromText(%j) is %j (an empty switch is off)', (text, want) => {
    expect(switchFromText(text)).toBe(want);
  });
});
