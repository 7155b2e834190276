// A small argument parser: flags with values, repeatable flags, boolean switches, positionals.
// Errors name the flag and what was expected (exit code 2 in the CLI).

export class UsageError extends Error {}

export interface FlagSpec {
  readonly type: 'string' | 'int' | 'number' | 'bool';
  readonly repeat?: boolean;
}

export interface Parsed {
  readonly flags: Record<string, string | number | boolean | (string | number)[]>;
  readonly positional: string[];
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): Parsed {
  const flags: Record<string, string | number | boolean | (string | number)[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('--') || a === '-') { positional.push(a); continue; }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    const f = spec[name];
    if (!f) throw new UsageError(`unknown option --${name}; known: ${Object.keys(spec).map((k) => '--' + k).join(', ')}`);
    if (f.type === 'bool') {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} expects a ${f.type === 'string' ? 'value' : f.type === 'int' ? 'whole number' : 'number'}`);
    }
    let v: string | number = value;
    if (f.type === 'int') {
      if (!/^\d+$/.test(value)) throw new UsageError(`--${name} expects a whole number, got "${value}"`);
      v = Number(value);
    } else if (f.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got "${value}"`);
      v = n;
    }
    if (f.repeat) ((flags[name] ??= []) as (string | number)[]).push(v);
    else flags[name] = v;
  }
  return { flags, positional };
}
