// Bundles the compiled CLI (dist/cli/main.js) into one CommonJS file, dist/tsbuild.cjs, which
// bin/tsbuild.js loads with a V8 code cache: one file to read and no module graph to resolve
// keeps the start of every command short. Native addons stay outside the bundle.
export default {
  input: 'dist/cli/main.js',
  platform: 'node',
  external: [/^node:/, 'zstd-napi', /^@napi-rs\/blake-hash/],
  output: { file: 'dist/tsbuild.cjs', format: 'cjs' },
  logLevel: 'warn',
};
