#!/usr/bin/env node
// Entry point: hands the process to the CLI's composition root.
import { run } from '../dist/cli/main.js';

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
