#!/usr/bin/env node
// DuckDB's plain CSV → JSON conversion, the bench's far anchor (no contract, no checks):
//   node bench/duck.mjs IN.csv OUT.json [--dialect]
// COPY (SELECT * FROM read_csv(IN, all_varchar=true)) TO OUT (FORMAT JSON)
// --dialect: read_csv(IN, all_varchar=true, delim=',', quote='"', escape='"', null_padding=true),
// for files whose rows with extra cells make DuckDB's dialect sniffer give up
// (newline-delimited JSON). @duckdb/node-api comes from bench/.duck, where `npm run bench`
// installs it (not a dependency of recflow); DuckDB uses every core.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [input, out, flag] = process.argv.slice(2);
const options = flag === '--dialect' ? `delim=',', quote='"', escape='"', null_padding=true` : '';
if (!input || !out || (flag && flag !== '--dialect')) {
  console.error('usage: node bench/duck.mjs IN.csv OUT.json [--dialect]');
  process.exit(2);
}
const require = createRequire(fileURLToPath(new URL('.duck/package.json', import.meta.url)));
const { DuckDBInstance } = require('@duckdb/node-api');
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const res = await con.run(`COPY (SELECT * FROM read_csv(${lit(input)}, all_varchar=true${options ? `, ${options}` : ''})) TO ${lit(out)} (FORMAT JSON)`);
process.stderr.write(`duckdb: ${res.rowsChanged} rows\n`);
