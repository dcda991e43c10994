/**
 * Another process's CPU time, read from /proc (Linux): how the client-cost section reports the
 * server's share of a core. Undefined where /proc is not there.
 */
import { readFileSync } from 'node:fs';

/** CPU time (user + system) the process `pid` has used so far, in ms; undefined if unknown. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // schedstat's first field: nanoseconds on a CPU (finer than stat's clock ticks).
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // Fall through to stat.
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
