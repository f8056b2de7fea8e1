/**
 * Where a subscription keeps its resume point between connections and between runs of the
 * process: saved after every frame the application's handler returned from. Memory by default;
 * `WebStoragePositionStore` in a browser, `FilePositionStore` on Node (`@blockcast/client/node`).
 */
import type { ResumePoint } from './resume-point.js';

export interface PositionStore {
  load(key: string): ResumePoint | undefined | Promise<ResumePoint | undefined>;
  save(key: string, point: ResumePoint): void | Promise<void>;
  /** Forget the point: the next start begins live, in the current epoch (after `reset`/`historyGone`). */
  clear(key: string): void | Promise<void>;
}

/** Lives as long as the process: a restart begins live. */
export class MemoryPositionStore implements PositionStore {
  readonly #points = new Map<string, ResumePoint>();

  load(key: string): ResumePoint | undefined {
    return this.#points.get(key);
  }

  save(key: string, point: ResumePoint): void {
    this.#points.set(key, point);
  }

  clear(key: string): void {
    this.#points.delete(key);
  }
}

/** The shape stored, checked on load so a corrupt or foreign value is not taken for a position. */
export function parseResumePoint(text: string): ResumePoint | undefined {
  try {
    const value = JSON.parse(text) as Partial<ResumePoint>;
    const epochOk = value.epoch === null || typeof value.epoch === 'string';
    const sinceOk = value.since === null || typeof value.since === 'string';
    const deliveredOk =
      Array.isArray(value.delivered) && value.delivered.every((key) => typeof key === 'string');
    if (!epochOk || !sinceOk || !deliveredOk) return undefined;
    return { epoch: value.epoch ?? null, since: value.since ?? null, delivered: value.delivered ?? [] };
  } catch {
    return undefined;
  }
}

/** `localStorage` (survives the tab) or `sessionStorage` (survives a reload), under `prefix + key`. */
export class WebStoragePositionStore implements PositionStore {
  constructor(
    readonly storage: Storage,
    readonly prefix = 'blockcast:',
  ) {}

  load(key: string): ResumePoint | undefined {
    const text = this.storage.getItem(this.prefix + key);
    return text === null ? undefined : parseResumePoint(text);
  }

  save(key: string, point: ResumePoint): void {
    this.storage.setItem(this.prefix + key, JSON.stringify(point));
  }

  clear(key: string): void {
    this.storage.removeItem(this.prefix + key);
  }
}
