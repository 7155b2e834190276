const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n: number) => String(n).padStart(2, "0");

/** Timestamp in valkey's log format (`%d %b %Y %H:%M:%S.mmm`, local time), e.g. `25 Nov 2026 08:24:18.149`. */
export function valkeyTimestamp(d: Date = new Date()): string {
  return (
    `${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`
  );
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
