import fs from "node:fs";
import { sleep } from "./timefmt.js";

/** Line format of valkey logs (doc §3; the same in 8.0.1, 8.1.1 and 9.1.2). */
export const LOG_LINE = /^(\d+):([MSCX]) (\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3}) ([.\-*#]) (.*)$/;

/**
 * Incremental reader of a valkey log file. Valkey opens, appends and closes the
 * file for every line, so reading it from outside is safe; only whole lines
 * (ending in \n) are taken.
 */
export class LogWatcher {
  private pos = 0;
  private partial = "";
  readonly lines: string[] = [];

  constructor(readonly file: string) {}

  /** Read any new complete lines. Returns the number of lines now known. */
  poll(): number {
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch {
      return this.lines.length;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size > this.pos) {
        const buf = Buffer.alloc(size - this.pos);
        const n = fs.readSync(fd, buf, 0, buf.length, this.pos);
        this.pos += n;
        const text = this.partial + buf.subarray(0, n).toString("utf8");
        const parts = text.split("\n");
        this.partial = parts.pop() ?? "";
        this.lines.push(...parts);
      }
    } finally {
      fs.closeSync(fd);
    }
    return this.lines.length;
  }

  /** The message part of a line (after `pid:role ts lvl `), or the line itself. */
  static msg(line: string): string {
    const m = LOG_LINE.exec(line);
    return m ? m[5]! : line;
  }

  /** Indices of lines (from `from`) whose message matches `re`. */
  findAll(re: RegExp, from = 0): number[] {
    this.poll();
    const out: number[] = [];
    for (let i = from; i < this.lines.length; i++) if (re.test(LogWatcher.msg(this.lines[i]!))) out.push(i);
    return out;
  }

  count(re: RegExp, from = 0): number {
    return this.findAll(re, from).length;
  }

  /**
   * Wait (bounded) until a line at index >= `from` matches `re`; returns its index,
   * or -1 on timeout or when `abort()` returns true.
   */
  async waitFor(re: RegExp, timeoutMs: number, from = 0, abort?: () => boolean): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let scanned = from;
    for (;;) {
      this.poll();
      for (; scanned < this.lines.length; scanned++) {
        if (re.test(LogWatcher.msg(this.lines[scanned]!))) return scanned;
      }
      if (Date.now() >= deadline || abort?.()) return -1;
      await sleep(15);
    }
  }
}
