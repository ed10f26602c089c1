// `tsbuild build -`: stdin is either a (possibly compressed) tar of the context or a lone Dockerfile.
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TsbuildError } from '../core/index.js';
import { extractTar, isArchive } from '../layer/index.js';

/**
 * Spools stdin to `tmpDir`, then either extracts it (tar, any compression) into
 * `tmpDir/context`, or treats it as a Dockerfile: the context is then the empty
 * `tmpDir/context` and the Dockerfile is saved as `tmpDir/Dockerfile`.
 */
export async function contextFromTarOrDockerfile(
  input: Readable,
  tmpDir: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ dir: string; dockerfile?: string }> {
  const dir = path.join(tmpDir, 'context');
  await fsp.mkdir(dir, { recursive: true });
  const spool = path.join(tmpDir, 'stdin.spool');
  await pipeline(input, createWriteStream(spool), opts.signal ? { signal: opts.signal } : {});
  try {
    if (await isArchive(spool, opts.signal)) {
      try {
        await extractTar(createReadStream(spool), dir, opts.signal ? { signal: opts.signal } : {});
      } catch (e) {
        if (e instanceof TsbuildError) throw e;
        throw new TsbuildError('TSB2109', `cannot extract the build context read from stdin: ${(e as Error).message}`, { cause: e });
      }
      return { dir };
    }
    const dockerfile = path.join(tmpDir, 'Dockerfile');
    await fsp.rename(spool, dockerfile);
    return { dir, dockerfile };
  } finally {
    await fsp.rm(spool, { force: true });
  }
}
