/** /proc readers and the one clock every bench process shares: CPU, RSS and machine load of the processes under test. */
import { readFileSync } from 'node:fs';

/** CLOCK_MONOTONIC in ms: one clock for every process on the machine (libuv's hrtime). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** VmRSS of a process in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

const CLOCK_TICKS = 100;

/** CPU seconds (utime + stime, all threads) a process used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}
