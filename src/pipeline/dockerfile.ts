// Reading the Dockerfile a build or an explanation starts from.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '../core/index.js';

/** The Dockerfile's text: `-f` (relative to the working directory), else CONTEXT/Dockerfile, else the one read from stdin. */
export async function readDockerfile(o: { file?: string; cwd: string }, contextDir: string, fromStdin?: string): Promise<{ text: string; file: string }> {
  if (fromStdin !== undefined && !o.file) return { text: fromStdin, file: 'Dockerfile' };
  const file = o.file ? path.resolve(o.cwd, o.file) : path.join(contextDir, 'Dockerfile');
  try {
    return { text: await fsp.readFile(file, 'utf8'), file };
  } catch (e) {
    throw new TsbuildError('TSB2108', `cannot read Dockerfile ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
  }
}
