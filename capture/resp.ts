import net from "node:net";
import { LOOPBACK } from "./ports.js";

/** RESP2 encoding of one command. */
export function encodeCommand(args: (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/**
 * Send one command on a fresh raw connection and return the first reply line
 * (e.g. `+PONG`, `-LOADING …`), or `"<closed>"` if the server closed the
 * connection without replying (what SHUTDOWN does). Bounded by `timeoutMs`.
 * Used only where a full client is unsuitable: readiness probes and SHUTDOWN.
 */
export function rawCommand(port: number, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: LOOPBACK, port });
    let buf = "";
    let done = false;
    const finish = (err: Error | null, val?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(val!);
    };
    const timer = setTimeout(() => finish(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    sock.on("connect", () => sock.write(encodeCommand(args)));
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      const i = buf.indexOf("\r\n");
      if (i >= 0) finish(null, buf.slice(0, i));
    });
    sock.on("error", (e) => finish(e));
    sock.on("close", () => finish(null, buf.length ? buf : "<closed>"));
  });
}
