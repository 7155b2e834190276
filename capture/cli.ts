import path from "node:path";
import fs from "node:fs";
import { chaosProgram, parseChaosProgram, type ChaosProgram } from "./chaos-program.js";
import { runChaos } from "./chaos.js";
import { runScenario, type CaptureResult } from "./run.js";
import { SCENARIOS } from "./scenarios.js";

/**
 * HOOK — "convert + validate". Another part of replcheck plugs in here: turn the
 * raw run folder (primary.log, replica*.log, driver.log, meta.json) into a trace
 * and check it. Kept out of the capture harness on purpose. Return an exit code
 * (0 = ok). While unset, `capture` only runs the scenario.
 */
export type ConvertAndValidate = (outDir: string, result?: CaptureResult) => Promise<number>;
let convertAndValidate: ConvertAndValidate | undefined;
export function setConvertAndValidate(fn: ConvertAndValidate | undefined): void {
  convertAndValidate = fn;
}

const USAGE = `usage: replcheck capture --scenario NAME --out DIR [--valkey-server BIN] [--keep-tmp] [--quiet]
       replcheck capture --list
       replcheck capture --all --out DIR [--fast]     (one sub-folder per scenario)
       replcheck capture --chaos (--seed N | --program FILE) --out DIR [--duration S] [--max-replicas N] [--program-only]
         a seeded random program (setup, writes, kills, pauses, CONFIG SET, REPLICAOF) on real servers;
         the same seed gives the same program (program.json); --program-only prints it without running;
         --program FILE runs a recorded (or edited) program.json again
BIN: valkey-server or a wrapper running it (default: $VALKEY_SERVER, else valkey-server on PATH); its
\`--version\` picks the version table row (capture/versions.ts: 8.0, 8.1, 9.1)`;

/** `replcheck capture …`: argv excludes the program and the `capture` word. Returns the exit code. */
export async function captureMain(argv: string[]): Promise<number> {
  let scenario: string | undefined;
  let out: string | undefined;
  let bin: string | undefined;
  let keepTmp = false;
  let quiet = false;
  let list = false;
  let all = false;
  let fastOnly = false;
  let chaos = false;
  let programOnly = false;
  let seed: number | undefined;
  let durationS: number | undefined;
  let maxReplicas: number | undefined;
  let programFile: string | undefined;
  const num = (a: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) throw new Error(`${a} expects an integer in [${min}, ${max}], got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--scenario") scenario = argv[++i];
    else if (a === "--out") out = argv[++i];
    else if (a === "--valkey-server") bin = argv[++i];
    else if (a === "--keep-tmp") keepTmp = true;
    else if (a === "--quiet") quiet = true;
    else if (a === "--list") list = true;
    else if (a === "--all") all = true;
    else if (a === "--fast") fastOnly = true;
    else if (a === "--chaos") chaos = true;
    else if (a === "--program-only") programOnly = true;
    else if (a === "--program") programFile = argv[++i];
    else if (a === "--seed" || a === "--duration" || a === "--max-replicas") {
      let n: number;
      try {
        n = num(a, argv[++i], a === "--seed" ? 0 : 1, a === "--seed" ? 2 ** 31 - 1 : a === "--duration" ? 600 : 3);
      } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
      }
      if (a === "--seed") seed = n;
      else if (a === "--duration") durationS = n;
      else maxReplicas = n;
    }
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(28)} ${s.fast ? "fast" : "slow"}  ${s.description}`);
    return 0;
  }
  if (chaos) {
    if ((seed === undefined) === (programFile === undefined) || (!out && !programOnly)) {
      console.error(`--chaos needs one of --seed N or --program FILE, and --out DIR\n${USAGE}`);
      return 2;
    }
    let program: ChaosProgram;
    if (programFile !== undefined) {
      try {
        program = parseChaosProgram(fs.readFileSync(programFile, "utf8"));
      } catch (e) {
        console.error(`${programFile}: ${(e as Error).message}`);
        return 2;
      }
    } else program = chaosProgram(seed!, { ...(durationS !== undefined ? { durationMs: durationS * 1000 } : {}), ...(maxReplicas !== undefined ? { maxReplicas } : {}) });
    if (programOnly) {
      console.log(JSON.stringify(program, null, 2));
      return 0;
    }
    const r = await runChaos(program, out!, { ...(bin !== undefined ? { valkeyServer: bin } : {}), keepTmp, ...(quiet ? {} : { progress: (m: string) => console.error(m) }) });
    console.log(`chaos seed ${program.seed}: ${r.genuine ? "genuine run" : "NOT a genuine run (not judged)"}, ${r.inSync ? "every replica in sync" : "not every replica in sync"} in ${(r.durationMs / 1000).toFixed(1)} s -> ${out}` + (r.notes.length ? `\n  ${r.notes.join("\n  ")}` : ""));
    if (!r.genuine) return 1;
    return convertAndValidate ? convertAndValidate(out!) : 0;
  }
  const names = all ? SCENARIOS.filter((s) => !fastOnly || s.fast).map((s) => s.name) : scenario ? [scenario] : [];
  if (names.length === 0 || !out) {
    console.error(USAGE);
    return 2;
  }
  let code = 0;
  for (const name of names) {
    const dir = all ? path.join(out, name) : out;
    const result = await runScenario(name, dir, {
      ...(bin !== undefined ? { valkeyServer: bin } : {}),
      keepTmp,
      ...(quiet ? {} : { progress: (m: string) => console.error(m) }),
    });
    const failed = result.checks.filter((c) => !c.pass);
    console.log(
      `${name}: ${result.pass ? "PASS" : "FAIL"} in ${(result.durationMs / 1000).toFixed(1)} s -> ${dir}` +
        (result.error ? ` (error: ${result.error})` : "") +
        (failed.length ? `\n  failed checks: ${failed.map((c) => c.name).join("; ")}` : ""),
    );
    if (!result.pass) code = 1;
    // ---- HOOK: convert + validate (plugged in by the trace/conformance side) ----
    if (convertAndValidate) {
      const c = await convertAndValidate(dir, result);
      if (c !== 0) code = c;
    }
    // ---- end HOOK ----
  }
  return code;
}
