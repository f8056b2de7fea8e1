/**
 * What the fixture plugins (test/plugins/fixtures) recorded: one "<pid> <height> <event name>" line
 * per event, and the history signals (onGap, onReset) of signal-recorder.mjs as JSON lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordedEvent {
  pid: number;
  height: number;
  name: string;
}

/** A signal as the plugin received it: `kind` and the process that got it, then its fields. */
export interface RecordedSignal {
  kind: 'gap' | 'reset';
  pid: number;
  /** How many events the plugin had recorded when the signal came: where it falls among them. */
  delivered: number;
  [field: string]: unknown;
}

/** The events plugin `plugin` recorded in `dir` (its PLUGIN_RECORD_DIR), in order; none yet is []. */
export function recordedEvents(dir: string, plugin: string): RecordedEvent[] {
  return linesOf(join(dir, `${plugin}.log`)).map((line) => {
    const [pid, height, name] = line.split(' ');
    return { pid: Number(pid), height: Number(height), name: name! };
  });
}

/** The gap and reset signals signal-recorder.mjs recorded for `plugin`, in order. */
export function recordedSignals(dir: string, plugin: string): RecordedSignal[] {
  return linesOf(join(dir, `${plugin}.log.signals.jsonl`)).map((line) => JSON.parse(line) as RecordedSignal);
}

function linesOf(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}
