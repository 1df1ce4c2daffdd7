// `node --import` this file to append the URL of every module the process loads to the
// file named by RECFLOW_TEST_LOAD_LOG (one a line): what start-up loads, checked by tests.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// the hooks run on a thread of their own, which imports this file again: register once
if (process.env.RECFLOW_TEST_LOAD_LOG && isMainThread) register(import.meta.url);

/** The load hook: log, then load as usual. */
export async function load(url, context, next) {
  appendFileSync(process.env.RECFLOW_TEST_LOAD_LOG, url + '\n');
  return next(url, context);
}
