// The request and result of one COPY/ADD file operation.
import type { BuildContext } from '../../context/index.js';

export interface CopyRequest {
  /** The build context, or openRootfsSource(stageRootfs) for --from. */
  source: BuildContext;
  /** Expanded source words (heredoc sources go in `inline`). */
  sources: string[];
  /** `COPY <<EOF /dst`: files created from heredocs (mode 0644 before --chmod). */
  inline?: Array<{ name: string; content: string }>;
  /** Rootfs directory being written into (a mounted snapshot). */
  destRoot: string;
  /** Expanded destination as written (relative to workdir when not absolute). */
  dest: string;
  /** Current WORKDIR (absolute, cleaned). */
  workdir: string;
  /** Resolved owner. Without it context files become 0:0 and --from files keep their owners. */
  chown?: { uid: number; gid: number };
  /** Octal ('755') or symbolic ('u+x,g-w'); applies to files and directories. */
  chmod?: string;
  /** --exclude patterns, matched relative to each source (dockerignore syntax). */
  exclude: string[];
  /** --parents: keep the source's parent directories (a `/./` in the source marks the pivot). */
  parents: boolean;
  /** 'add': local tar archives (any compression, detected by content) are extracted. */
  mode: 'copy' | 'add';
  signal?: AbortSignal;
}

export interface CopyResult {
  /** Non-directory entries written (an extracted archive counts once). */
  files: number;
  /** Bytes of regular-file data written. */
  bytes: number;
}
