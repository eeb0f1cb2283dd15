/** A run folder on disk (Node only): the CLI's RunStorage. Writes are atomic (nn/checkpoint-file.ts). */
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../nn/node/checkpoint-file.js';
import type { RunStorage } from '../storage.js';

export class FolderStorage implements RunStorage {
  constructor(readonly location: string) {}

  private full(path: string): string {
    return join(this.location, ...path.split('/'));
  }

  exists(path: string): boolean {
    return existsSync(this.full(path));
  }

  read(path: string): Uint8Array {
    return readFileSync(this.full(path));
  }

  write(path: string, data: Uint8Array): void {
    const full = this.full(path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileAtomic(full, data);
  }

  append(path: string, text: string): void {
    const full = this.full(path);
    mkdirSync(dirname(full), { recursive: true });
    appendFileSync(full, text);
  }

  size(path: string): number {
    const full = this.full(path);
    return existsSync(full) ? statSync(full).size : 0;
  }

  truncate(path: string, size: number): void {
    truncateSync(this.full(path), size);
  }
}
