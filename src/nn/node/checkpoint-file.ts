/**
 * Checkpoint files on disk (Node only; the browser uses checkpoint.ts on bytes). Writes are atomic: the bytes
 * go to a temporary file in the same directory, are flushed with fsync, and the file is renamed over the
 * target, so a crash leaves either the old checkpoint or the new one, never a torn file.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Module } from '../module.js';
import type { Optimizer } from '../optim.js';
import { encodeModel, encodeTrainingCheckpoint, loadModelBytes, loadTrainingCheckpointBytes } from '../checkpoint.js';

let counter = 0;

/** Writes `bytes` to `path` atomically (temporary file, fsync, rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx');
  } catch (e) {
    // Name the file asked for, not the hidden temporary one (a missing folder is the usual cause).
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: cannot write (${code === 'ENOENT' ? `the folder ${dir} does not exist` : (code ?? String(e))})`, {
      cause: e,
    });
  }
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(temp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (e) {
    unlinkSync(temp);
    throw e;
  }
  // Persist the rename itself; not every platform lets a directory be opened, so this is best effort.
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Directory fsync is unsupported here (e.g. Windows); the rename is still atomic.
  }
}

/**
 * Runs `f`, prefixing the message of any error it throws with the file's path (its class is kept, so callers
 * still tell a SafetensorsError from a CheckpointError): every checkpoint error names its file.
 */
function namingFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(path)) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

export function saveModel(path: string, model: Module, metadata: Record<string, string> = {}): void {
  namingFile(path, () => writeFileAtomic(path, encodeModel(model, metadata)));
}

/** Loads a model checkpoint (fully validated first; a bad file changes nothing) and returns its metadata. */
export function loadModel(path: string, model: Module, options: { allowNonFinite?: boolean } = {}): Record<string, string> {
  return namingFile(path, () => loadModelBytes(model, readFileSync(path), options));
}

export function saveTrainingCheckpoint(path: string, model: Module, optimizer: Optimizer, metadata: Record<string, string> = {}): void {
  namingFile(path, () => writeFileAtomic(path, encodeTrainingCheckpoint({ model, optimizer, metadata })));
}

export function loadTrainingCheckpoint(path: string, model: Module, optimizer: Optimizer): Record<string, string> {
  return namingFile(path, () => loadTrainingCheckpointBytes(model, optimizer, readFileSync(path)));
}
