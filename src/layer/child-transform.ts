// A Transform that pipes bytes through a spawned filter program (bzip2 -dc, xz -dc) with backpressure.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Transform, type TransformCallback } from 'node:stream';
import { TsbuildError } from '../core/index.js';
import { toolMissing } from './tools.js';

export class ChildTransform extends Transform {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderr: Buffer[] = [];
  private exitCode: number | null | undefined;
  private stdoutEnded = false;
  private flushCb: TransformCallback | undefined;
  private failed = false;
  private pendingWrite: TransformCallback | undefined;

  constructor(
    private readonly tool: string,
    args: readonly string[],
  ) {
    super();
    this.child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.on('error', (e: NodeJS.ErrnoException) => this.fail(e.code === 'ENOENT' ? toolMissing(tool, e) : e));
    this.child.stdin.on('error', () => {
      // EPIPE when the tool dies early; its exit status carries the real reason.
    });
    this.child.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 64) this.stderr.push(d);
    });
    this.child.stdout.on('data', (d: Buffer) => {
      if (!this.push(d)) this.child.stdout.pause();
    });
    this.child.stdout.on('end', () => {
      this.stdoutEnded = true;
      this.maybeFinish();
    });
    this.child.on('exit', (code) => {
      this.exitCode = code;
      this.releaseWrite();
      this.maybeFinish();
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.failed || this.exitCode !== undefined) return cb();
    if (this.child.stdin.write(chunk)) return cb();
    this.pendingWrite = cb;
    this.child.stdin.once('drain', () => this.releaseWrite());
  }

  override _flush(cb: TransformCallback): void {
    this.flushCb = cb;
    this.child.stdin.end();
    this.maybeFinish();
  }

  override _read(size: number): void {
    this.child.stdout.resume();
    super._read(size);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
    cb(err);
  }

  private maybeFinish(): void {
    if (this.exitCode === undefined || !this.stdoutEnded) return;
    if (this.exitCode !== 0) {
      const msg = Buffer.concat(this.stderr).toString('utf8').trim();
      this.fail(new TsbuildError('TSB3102', `${this.tool} could not decompress the stream: ${msg || `exit ${this.exitCode}`}`));
      return;
    }
    const cb = this.flushCb;
    this.flushCb = undefined;
    cb?.();
  }

  private releaseWrite(): void {
    const cb = this.pendingWrite;
    this.pendingWrite = undefined;
    cb?.();
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.destroy(e);
  }
}
