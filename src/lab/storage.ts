/**
 * Where a run keeps its files. The runner, the report and re-evaluation only ever talk to this interface, so the
 * CLI (a folder on disk, node/folder-storage.ts) and the teaching page (memory, below) run the same loop.
 *
 * Paths are relative to the run's root and '/'-separated ('checkpoints/seed0/sft.safetensors').
 */
export interface RunStorage {
  /** Names the place in messages: the folder's path, or 'memory'. */
  readonly location: string;
  exists(path: string): boolean;
  /** The file's bytes; throws an Error naming the file when it is missing. */
  read(path: string): Uint8Array;
  /** Replaces the file whole and atomically: a crash leaves the old content or the new one, never a mix. */
  write(path: string, data: Uint8Array): void;
  /** Appends text (UTF-8) to the file, creating it when missing. */
  append(path: string, text: string): void;
  /** The file's length in bytes (0 when missing). */
  size(path: string): number;
  /** Cuts the file to its first `size` bytes. */
  truncate(path: string, size: number): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function readText(storage: RunStorage, path: string): string {
  return decoder.decode(storage.read(path));
}

export function writeText(storage: RunStorage, path: string, text: string): void {
  storage.write(path, encoder.encode(text));
}

/** JSON with one space of indentation and a final newline (JSON has no NaN or Infinity: they are written as null). */
export function writeJson(storage: RunStorage, path: string, value: unknown): void {
  writeText(storage, path, `${JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)}\n`);
}

/** A run kept in memory (the teaching page; tests). */
export class MemoryStorage implements RunStorage {
  readonly location = 'memory';
  private readonly files = new Map<string, Uint8Array>();

  exists(path: string): boolean {
    return this.files.has(path);
  }

  read(path: string): Uint8Array {
    const data = this.files.get(path);
    if (data === undefined) throw new Error(`memory:${path}: no such file`);
    return data;
  }

  write(path: string, data: Uint8Array): void {
    // A copy, so a caller that reuses its buffer cannot change what was stored.
    this.files.set(path, data.slice());
  }

  append(path: string, text: string): void {
    const old = this.files.get(path) ?? new Uint8Array();
    const added = encoder.encode(text);
    const joined = new Uint8Array(old.length + added.length);
    joined.set(old);
    joined.set(added, old.length);
    this.files.set(path, joined);
  }

  size(path: string): number {
    return this.files.get(path)?.length ?? 0;
  }

  truncate(path: string, size: number): void {
    const data = this.files.get(path);
    if (data !== undefined) this.files.set(path, data.slice(0, size));
  }

  /** Every stored path, sorted (what a folder run would hold). */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }
}
