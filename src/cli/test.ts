// `recflow test FILE...`: run the cases of pipeline test files; a line per case, a diff
// for each failure; exit 0 when all pass, 1 when any fails, 2 for a bad test file.
import { Command } from 'commander';
import type { Builder } from 'junit-report-builder';
import { EXIT_OK, EXIT_STATUS, RecflowError } from '../errors.js';
import type { CaseResult } from '../pipeline/test-cases.js';
import { writeFileAtomic } from '../sinks/util/atomic-file.js';

export function testCommand(): Command {
  return new Command('test')
    .description('run pipeline test files (YAML cases: stages, input records, expected output/rejects); exit 1 when a case fails')
    .argument('<file...>', 'test files (.yaml, .yml or .json)')
    .option('--report <format:file>', "also write the results as JUnit XML: 'junit:results.xml'")
    .action(async (files: string[], opts: { report?: string }) => {
      const junitFile = parseReport(opts.report);
      // loaded when the command runs (YAML, zod, the stages): other commands start without them
      const { runTestFiles } = await import('../pipeline/test-cases.js');
      const { paintFor } = await import('../pipeline/finish.js');
      const results = await runTestFiles(files);
      const paint = paintFor(process.stdout);
      for (const r of results) {
        process.stdout.write(`${r.passed ? paint.green('PASS') : paint.red('FAIL')} ${r.name} ${paint.dim(`(${r.file}, ${r.ms} ms)`)}\n`);
        for (const d of r.diff) process.stdout.write(`    ${d}\n`);
      }
      const failed = results.filter((r) => !r.passed).length;
      process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
      if (junitFile) await writeJunit(junitFile, junitReport(results, await junitBuilder()));
      process.exitCode = failed > 0 ? EXIT_STATUS.data : EXIT_OK;
    });
}

function parseReport(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = /^junit:(.+)$/.exec(text);
  if (!m) throw new RecflowError('usage', `--report '${text}': recflow test writes only JUnit: --report junit:results.xml`);
  return m[1];
}

/** Crash-safe like every other output: the previous report or the whole new one, never a torn one. */
async function writeJunit(file: string, xml: string): Promise<void> {
  try {
    await writeFileAtomic(file, xml);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message);
    throw new RecflowError('sink', `cannot write the JUnit report ${file} (${why}); the previous file, if any, is left as it was`, { cause: err });
  }
}

async function junitBuilder(): Promise<Builder> {
  const m = await import('junit-report-builder');
  // a CommonJS package whose typings say `export default`
  return ((m.default as unknown as { default?: Builder }).default ?? m.default) as Builder;
}

function junitReport(results: CaseResult[], junit: Builder): string {
  const b = junit.newBuilder();
  const byFile = new Map<string, CaseResult[]>();
  for (const r of results) (byFile.get(r.file) ?? byFile.set(r.file, []).get(r.file)!).push(r);
  for (const [file, rs] of byFile) {
    const suite = b.testSuite().name(file);
    for (const r of rs) {
      const tc = suite.testCase().className('recflow.test').name(r.name).file(file).time(r.ms / 1000);
      if (!r.passed) tc.failure(r.diff[0] ?? 'failed').stacktrace(r.diff.join('\n'));
    }
  }
  return b.build();
}
