// The one reading of true/false from text, for flags from the environment and config
// files, Kafka's switches and stage options alike.

const WORDS: Record<string, boolean> = { true: true, yes: true, on: true, '1': true, false: false, no: false, off: false, '0': false };

/**
 * true/yes/on/1 and false/no/off/0, any case, blanks around ignored; undefined for
 * anything else. An empty text is undefined too: an option set to '' (an empty
 * environment variable) is each caller's to decide.
 */
export function boolFromText(text: string): boolean | undefined {
  return WORDS[text.trim().toLowerCase()];
}

/** As boolFromText, and an empty text is off: a switch set to '' (`RECFLOW_X=`) or left blank in a config. */
export function switchFromText(text: string): boolean | undefined {
  return text.trim() === '' ? false : boolFromText(text);
}
