/**
 * Node: one JSON file per subscription key in a directory, replaced atomically (write a temp file,
 * then rename over the old one), so a process killed at any instant leaves the old or the new
 * point, never half of one.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PositionStore, parseResumePoint } from './position-store.js';
import type { ResumePoint } from './resume-point.js';

export class FilePositionStore implements PositionStore {
  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true });
  }

  load(key: string): ResumePoint | undefined {
    try {
      return parseResumePoint(readFileSync(this.#path(key), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  save(key: string, point: ResumePoint): void {
    writeAtomically(this.#path(key), JSON.stringify(point));
  }

  clear(key: string): void {
    rmSync(this.#path(key), { force: true });
  }

  #path(key: string): string {
    return join(this.directory, `${encodeURIComponent(key)}.json`);
  }
}

/** Writes `path` so that a reader (or a restarted process) sees the old content or the new, whole. */
export function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
