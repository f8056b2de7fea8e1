/** What the fixture plugins (test/plugins/fixtures) recorded: one "<pid> <height> <event name>" line per event. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordedEvent {
  pid: number;
  height: number;
  name: string;
}

/** The events plugin `plugin` recorded in `dir` (its PLUGIN_RECORD_DIR), in order; none yet is []. */
export function recordedEvents(dir: string, plugin: string): RecordedEvent[] {
  const file = join(dir, `${plugin}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [pid, height, name] = line.split(' ');
      return { pid: Number(pid), height: Number(height), name: name! };
    });
}
