/**
 * One process per run folder (Node only). Two `selm train --out X` started at once, or a `--resume` or `eval`
 * while a run is writing X, would interleave their metrics lines and checkpoints; so a run folder is claimed
 * first, atomically, by a lock file holding the owner's process id and host.
 *
 * The lock is written whole to a temporary file and then hard-linked to its name: link() fails with EEXIST
 * when the name exists, atomically, even over NFS, so of two starts exactly one wins, and a reader never sees
 * a half-written lock. It is removed when the process exits normally or by an uncaught error. A process ended
 * by a signal (Ctrl-C, kill, kill -9) leaves it behind: signal handlers would run only when the synchronous
 * training loop yields, so installing them would make Ctrl-C wait for the end of the run. The next start sees
 * that the lock's owner is gone and says how to clear it, rather than guessing that no one else uses the folder
 * (a process id on another host cannot be checked at all).
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunLockError } from '../errors.js';

/** The lock's file name inside a run folder. */
export const LOCK_FILE = 'selm.lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** The command line that took it. */
  command: string;
}

export interface RunLock {
  readonly dir: string;
  readonly owner: LockOwner;
  /** Removes the lock (once; later calls do nothing). */
  release(): void;
  /**
   * After a start that failed before finishing anything resumable (no state.json): removes what this start
   * created in the folder (the folder itself when it made it), leaving what was there before.
   */
  removeCreated(): void;
}

/** Whether a process with this id runs on this machine (EPERM: it runs, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string')
      return { pid: v.pid, host: v.host, since: String(v.since), command: String(v.command) };
  } catch {
    // Unreadable or not ours: described as such below.
  }
  return null;
}

/** The error for a folder whose lock exists: held by a live process, or stale. */
function heldError(dir: string, path: string): RunLockError {
  const owner = readOwner(path);
  if (owner === null)
    return new RunLockError(
      `${dir} is locked by ${path}, which is not a lock this version wrote; if no selm process uses this folder, remove it: rm ${path}`,
    );
  const who = `process ${owner.pid} on host ${owner.host} (since ${owner.since}: ${owner.command})`;
  if (owner.host === hostname() && !processAlive(owner.pid)) {
    return new RunLockError(
      `${dir}: stale lock: ${who} is no longer running (stopped by Ctrl-C or killed?); if no selm process uses this folder, remove the lock and retry: rm ${path}`,
    );
  }
  return new RunLockError(`${dir} is in use by ${who}; wait for it to finish (or stop it), or choose another folder`);
}

/**
 * Claims `dir` for this process. With `create`, a missing folder is made (a new run); without it, the folder
 * must exist (--resume, eval). Throws RunLockError naming the owner when the folder is held.
 */
export function lockRunFolder(dir: string, { create }: { create: boolean }): RunLock {
  if (!create && !existsSync(dir)) throw new RunLockError(`${dir}: no such run folder`);
  const madeFolder = create ? mkdirSync(dir, { recursive: true }) !== undefined : false;
  const before = new Set(readdirSync(dir));
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  const temp = join(dir, `.${LOCK_FILE}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(owner)}\n`);
  try {
    linkSync(temp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const error = heldError(dir, path);
      unlinkSync(temp);
      if (madeFolder) rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    unlinkSync(temp);
    throw e;
  } finally {
    if (existsSync(temp)) unlinkSync(temp);
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Remove only our own lock (a person may have cleared it and another run taken the folder since).
    if (readOwner(path)?.pid === owner.pid && readOwner(path)?.host === owner.host) rmSync(path, { force: true });
  };
  process.on('exit', release);
  const removeCreated = (): void => {
    // An iteration finished and can be resumed: keep everything.
    if (!before.has('state.json') && existsSync(join(dir, 'state.json'))) return;
    if (madeFolder) {
      release();
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    for (const name of readdirSync(dir))
      if (!before.has(name) && name !== LOCK_FILE) rmSync(join(dir, name), { recursive: true, force: true });
  };
  return { dir, owner, release, removeCreated };
}
