#!/usr/bin/env node
// Entry point. Loads the bundled CLI (dist/tsbuild.cjs) through a V8 code cache kept per command
// under $XDG_CACHE_HOME/tsbuild (default ~/.cache/tsbuild): a cached start skips parsing and
// compiling the bundle. The cache file is named by the install's path and the bundle's hash, so
// a rebuilt bundle never meets old code; V8 itself refuses data from another node version.
// TSBUILD_CODE_CACHE=0 turns it off.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { createHash } = require('node:crypto');

const bundle = path.join(__dirname, '..', 'dist', 'tsbuild.cjs');
let bytes;
try {
  bytes = fs.readFileSync(bundle);
} catch {
  process.stderr.write(`tsbuild: ${bundle} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}

const source = bytes.toString('utf8');

const COMMANDS = new Set(['build', 'parse', 'image', 'cache', 'pull', 'push', 'login', 'logout']);
const argv = process.argv.slice(2);
const command = argv.find((a) => COMMANDS.has(a)) ?? 'cli';

function cacheDir() {
  const setting = process.env.TSBUILD_CODE_CACHE;
  if (setting === '0' || setting === 'off') return undefined;
  if (setting) return setting;
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? path.join(process.env.HOME, '.cache') : undefined);
  return base ? path.join(base, 'tsbuild') : undefined;
}

const dir = cacheDir();
// The install's path tells installs apart (each keeps its own cache); the bundle's content tells
// builds of one install apart (package managers reset mtimes, and V8 itself checks only the
// source's length). The bundle needs node:crypto anyway, so hashing it costs well under 1 ms.
let place = 0;
for (let i = 0; i < bundle.length; i++) place = (Math.imul(place, 31) + bundle.charCodeAt(i)) >>> 0;
const prefix = `code-${place.toString(36)}-`;
const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 24);
const cacheFile = dir && path.join(dir, `${prefix}${hash}-${command}.bin`);
let cachedData;
if (cacheFile) {
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // first run of this command with this bundle
  }
}

const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
const fresh = cachedData === undefined || script.cachedDataRejected === true;
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));

if (cacheFile && fresh) process.once('exit', () => saveCache(cacheFile));

/** Writes the compiled code, including what this run compiled lazily; removes older bundles' caches. */
function saveCache(file) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, file);
    const mine = path.basename(file);
    for (const name of fs.readdirSync(path.dirname(file))) {
      if (name !== mine && name.startsWith(prefix) && name.endsWith(`-${command}.bin`)) fs.rmSync(path.join(path.dirname(file), name), { force: true });
    }
  } catch {
    // a cache that cannot be written only costs the next start some time
  }
}

mod.exports.run(argv).then((code) => {
  // Everything the command does is awaited by run(), and stdout/stderr writes to files, pipes
  // and terminals are synchronous on Linux: exiting now skips only the environment's teardown.
  process.exit(code);
});
