import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findFreePorts, LOOPBACK } from "./ports.js";
import { RunContext, type Check, type RunOptions } from "./run-context.js";
import { findScenario, SCENARIOS } from "./scenarios.js";
import { parseValkeyVersion, profileFor, type ValkeyVersion, type VersionProfile } from "./versions.js";

export type { RunOptions } from "./run-context.js";

export interface CaptureResult {
  scenario: string;
  outDir: string;
  pass: boolean;
  checks: Check[];
  error?: string;
  durationMs: number;
  /** PIDs started by the run (servers, all incarnations, plus adopted rdb fork children). */
  pids: number[];
  /** Those still alive after cleanup: must be empty. */
  survivors: number[];
  metaFile: string;
}

/**
 * The valkey-server binary: opts, then $VALKEY_SERVER, then `valkey-server` on PATH. Any
 * executable that answers `--version` like valkey-server does (e.g. a wrapper script that
 * runs it through its own loader, .ci/fetch-valkey.sh) will do. A path with a slash is made
 * absolute (the record in meta.json then names it unambiguously); a directory stands for its
 * `bin/valkey-server` or `valkey-server`.
 */
export function valkeyServerBinary(opts: RunOptions = {}): string {
  const given = opts.valkeyServer ?? (process.env.VALKEY_SERVER || undefined) ?? "valkey-server";
  if (!given.includes("/")) return given;
  const abs = path.resolve(given);
  try {
    if (fs.statSync(abs).isDirectory()) {
      for (const f of ["bin/valkey-server", "valkey-server"]) if (fs.existsSync(path.join(abs, f))) return path.join(abs, f);
    }
  } catch {
    /* missing: valkeyVersion reports it */
  }
  return abs;
}

/** `valkey-server --version` output, or undefined when the binary cannot be run. */
export function valkeyVersion(bin: string): string | undefined {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

export interface DetectedValkey {
  /** `--version` output, e.g. `Valkey server v=8.1.1 sha=… malloc=… bits=64 build=…`. */
  versionText: string;
  version: ValkeyVersion;
  /** Its row of the version table (log patterns, defaults). */
  profile: VersionProfile;
  /** This very version was captured with that row (else: a version in its range, assumed alike). */
  exact: boolean;
}

/** Run `bin --version` and pick the version table row. Throws with a reason when it cannot be used. */
export function detectValkey(bin: string): DetectedValkey {
  const versionText = valkeyVersion(bin);
  if (versionText === undefined) throw new Error(`cannot run '${bin} --version': is valkey-server installed (see .ci/install-valkey.sh)?`);
  const version = parseValkeyVersion(versionText);
  if (!version) throw new Error(`'${bin} --version' printed ${JSON.stringify(versionText.slice(0, 200))}: not a Valkey server version line`);
  const { profile, exact } = profileFor(version);
  return { versionText, version, profile, exact };
}

/** Files a run writes in its output folder (removed first, since valkey appends to its log file). */
export const OUTPUT_FILES = ["primary.log", "replica.log", "replica2.log", "driver.log", "meta.json"];

/**
 * Run one scenario against real valkey-server processes on 127.0.0.1 and write
 * `<outDir>/{primary,replica[,replica2]}.log`, `driver.log` and `meta.json`.
 * Never throws for a scenario failure: the outcome (checks, error) is in the
 * result and in meta.json, and the logs are kept. Every process started is
 * stopped before it returns (SHUTDOWN NOSAVE, then SIGKILL by PID).
 */
export async function runScenario(name: string, outDirArg: string, opts: RunOptions = {}): Promise<CaptureResult> {
  // absolute: valkey-server chdir()s to its --dir before it opens --logfile
  const outDir = path.resolve(outDirArg);
  const def = findScenario(name);
  if (!def) throw new Error(`unknown scenario '${name}'; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  const bin = valkeyServerBinary(opts);
  const detected = detectValkey(bin);
  const version = detected.versionText;

  fs.mkdirSync(outDir, { recursive: true });
  for (const f of OUTPUT_FILES) fs.rmSync(path.join(outDir, f), { force: true });
  const tmpDir = fs.mkdtempSync(path.join(opts.tmpRoot ?? os.tmpdir(), `replcheck-${name}-`));
  const ports = await findFreePorts(def.servers.length);
  const ctx = new RunContext(name, outDir, tmpDir, bin, ports, detected.version, detected.profile, opts.progress);
  const startedAt = new Date();
  ctx.log(`scenario ${name}: ${def.description}`);
  ctx.log(`${version}; binary ${bin}; ports ${def.servers.map((s, i) => `${s}=${ports[i]}`).join(" ")}; tmp ${tmpDir}`);
  const notHere = detected.profile.unreproducible[name];
  if (notHere !== undefined) ctx.log(`WARNING: this scenario is not reproducible on Valkey ${detected.version.text} and is expected to fail: ${notHere}`);
  ctx.log(
    `version table row ${detected.profile.name} (${detected.exact ? "verified on" : "NOT verified on this version; verified on"} ${detected.profile.verified.join(", ")}); default rdb-client grace ${detected.profile.graceSeconds} s`,
  );

  const error = await ctx.runBounded(def.run(ctx), def.timeoutMs, "scenario");

  const survivors = ctx.survivors();
  ctx.check("every process started by the run is gone", survivors.length === 0, `pids ${ctx.allPids().join(",")}; alive: ${survivors.join(",") || "none"}`);
  const endedAt = new Date();
  const pass = error === undefined && ctx.checks.length > 0 && ctx.checks.every((c) => c.pass);
  ctx.log(`scenario ${name} ${pass ? "PASSED" : "FAILED"} in ${((endedAt.getTime() - startedAt.getTime()) / 1000).toFixed(2)} s`);

  const meta = {
    scenario: name,
    description: def.description,
    doc: `shared/design/valkey-real-runs.md ${def.doc}`,
    fast: def.fast,
    valkeyVersion: version,
    versionProfile: detected.profile.name,
    valkeyServer: bin,
    host: LOOPBACK,
    driverPid: process.pid,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    servers: Object.fromEntries(
      [...ctx.servers.values()].map((s) => [
        s.name,
        { port: s.record.port, pids: s.record.pids, cmdlines: s.record.cmdlines, exits: s.record.exits, log: `${s.name}.log` },
      ]),
    ),
    rdbChildPids: [...ctx.rdbChildPids],
    outcome: { pass, ...(error !== undefined ? { error } : {}), checks: ctx.checks },
    survivors,
  };
  const metaFile = path.join(outDir, "meta.json");
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2) + "\n");
  if (!opts.keepTmp) fs.rmSync(tmpDir, { recursive: true, force: true });

  return {
    scenario: name,
    outDir,
    pass,
    checks: ctx.checks,
    ...(error !== undefined ? { error } : {}),
    durationMs: meta.durationMs,
    pids: ctx.allPids(),
    survivors,
    metaFile,
  };
}
