/**
 * `tail --output F`: the frames appended to F, one line each, and beside it `F.position` — the
 * epoch, the resume point and how many bytes of F it covers — replaced atomically after every
 * line. A restart cuts a partial last line, replays the whole lines written after the saved
 * point (the process died between the two writes), and resumes exactly after F's last line, in
 * F's epoch: a `tail` killed at any instant leaves every frame in F once.
 */
import { closeSync, existsSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { writeAtomically } from '../file-position-store.js';
import type { AnyFrame } from '../frames.js';
import { type PositionStore, parseResumePoint } from '../position-store.js';
import { accept, type ResumePoint } from '../resume-point.js';
import { UsageError } from './exit-codes.js';

export class OutputFile implements PositionStore {
  readonly sidecar: string;
  #fd: number;
  #bytes: number;
  #point: ResumePoint | undefined;

  constructor(readonly path: string) {
    this.sidecar = `${path}.position`;
    const exists = existsSync(path);
    if (exists) this.#cutPartialLine();
    const bytes = exists ? statSync(path).size : 0;
    if (existsSync(this.sidecar)) {
      const saved = JSON.parse(readFileSync(this.sidecar, 'utf8')) as { bytes?: unknown };
      const point = parseResumePoint(JSON.stringify(saved));
      if (point === undefined || typeof saved.bytes !== 'number')
        throw new UsageError(`${this.sidecar} is not a position file`);
      this.#point = this.#replay(point, saved.bytes, bytes);
    } else if (bytes > 0) {
      throw new UsageError(
        `${path} has lines but no ${this.sidecar}: which history they belong to is unknown`,
      );
    }
    this.#fd = openSync(path, 'a');
    this.#bytes = bytes;
  }

  /** Appends one frame's line (the handler), before the subscription saves the point (`save`). */
  append(text: string): void {
    const line = Buffer.from(`${text}\n`);
    writeSync(this.#fd, line);
    this.#bytes += line.length;
  }

  load(): ResumePoint | undefined {
    return this.#point;
  }

  save(_key: string, point: ResumePoint): void {
    this.#point = point;
    writeAtomically(this.sidecar, JSON.stringify({ ...point, bytes: this.#bytes }));
  }

  clear(): void {
    this.#point = undefined;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #cutPartialLine(): void {
    const content = readFileSync(this.path);
    const end = content.lastIndexOf(0x0a) + 1;
    if (end < content.length) truncateSync(this.path, end);
  }

  /** The lines after `from` were written but their point not saved: advance over them. */
  #replay(point: ResumePoint, from: number, to: number): ResumePoint {
    if (to <= from) return point;
    const lines = readFileSync(this.path)
      .subarray(from, to)
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
    let current = point;
    for (const line of lines) {
      const verdict = accept(current, JSON.parse(line) as AnyFrame);
      if (verdict.deliver) current = verdict.point;
    }
    return current;
  }
}
