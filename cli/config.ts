// Resolves --preset, --config FILE and --set key=value into a checked model configuration.
import { readFileSync } from 'node:fs';
import { ConfigError, parseSetting, resolveConfig, type ModelConfig } from '../model/config.js';
import type { Parsed } from './args.js';

export const CONFIG_FLAGS = {
  preset: { type: 'string' },
  profile: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', repeat: true },
} as const;

export interface Resolved {
  readonly preset: string;
  readonly config: ModelConfig;
  /** The overrides applied on top of the preset (for trace headers). */
  readonly set: Record<string, unknown>;
}

export function configFromArgs(p: Parsed, defaultPreset = 'default'): Resolved {
  let preset = (p.flags.preset as string | undefined) ?? undefined;
  const layers: Record<string, unknown>[] = [];
  const file = p.flags.config as string | undefined;
  if (file !== undefined) {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) { throw new ConfigError(`${file}: cannot read (${(e as Error).message})`); }
    let obj: unknown;
    try { obj = JSON.parse(text); } catch (e) { throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`); }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ConfigError(`${file}: expected a JSON object of model settings`);
    const { preset: fp, ...rest } = obj as Record<string, unknown>;
    if (fp !== undefined) {
      if (typeof fp !== 'string') throw new ConfigError(`${file}: field "preset" must be a string`);
      preset ??= fp;
    }
    layers.push(rest);
  }
  // --profile V is --set profile=V placed before the --set overrides (which may flip single switches)
  if (p.flags.profile !== undefined) layers.push(Object.fromEntries([parseSetting(`profile=${String(p.flags.profile)}`)]));
  const set: Record<string, unknown> = {};
  for (const kv of (p.flags.set as string[] | undefined) ?? []) {
    const [k, v] = parseSetting(kv);
    set[k] = v;
  }
  layers.push(set);
  preset ??= defaultPreset;
  const where = file ?? 'configuration';
  const config = resolveConfig(preset, layers, where);
  const applied: Record<string, unknown> = {};
  for (const l of layers) Object.assign(applied, l);
  return { preset, config, set: applied };
}
