export { runScenario, valkeyServerBinary, valkeyVersion, OUTPUT_FILES, type CaptureResult, type RunOptions } from "./run.js";
export { SCENARIOS, findScenario, type ScenarioDef } from "./scenarios.js";
export { findFreePort, findFreePorts, LOOPBACK } from "./ports.js";
export { captureMain, setConvertAndValidate, type ConvertAndValidate } from "./cli.js";
export { registeredPids, pidAlive } from "./procs.js";
