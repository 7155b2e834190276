export { runScenario, valkeyServerBinary, valkeyVersion, detectValkey, OUTPUT_FILES, type CaptureResult, type DetectedValkey, type RunOptions } from "./run.js";
export { SCENARIOS, findScenario, type ScenarioDef } from "./scenarios.js";
export { findFreePort, findFreePorts, LOOPBACK } from "./ports.js";
export { captureMain, setConvertAndValidate, type ConvertAndValidate } from "./cli.js";
export { registeredPids, pidAlive } from "./procs.js";
export { PROFILES, profileFor, parseValkeyVersion, compareVersions, dualChannelPrefixed, type ValkeyVersion, type VersionProfile } from "./versions.js";
