// Test support: compiles core + content to plain JS in a temp dir so tests can run them in child node processes.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(srcDir, '..');

export interface ChildEnv {
  dir: string;
  /** Writes an ES module script into the temp dir; it can import './src/content/index.js'. */
  script(name: string, body: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function compiledModules(modules: string[] = ['core', 'content']): Promise<ChildEnv> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-child-'));
  await fsp.writeFile(path.join(dir, 'package.json'), '{"type":"module"}\n');
  await fsp.symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  for (const mod of modules) {
    const from = path.join(srcDir, mod);
    const to = path.join(dir, 'src', mod);
    await fsp.mkdir(to, { recursive: true });
    for (const name of await fsp.readdir(from)) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name.endsWith('.testutil.ts')) continue;
      const out = ts.transpileModule(await fsp.readFile(path.join(from, name), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      await fsp.writeFile(path.join(to, name.replace(/\.ts$/, '.js')), out.outputText);
    }
  }
  return {
    dir,
    async script(name, body) {
      const p = path.join(dir, name);
      await fsp.writeFile(p, body);
      return p;
    },
    cleanup: () => fsp.rm(dir, { recursive: true, force: true }),
  };
}
