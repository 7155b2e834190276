// Sequence diagrams as files: Mermaid `sequenceDiagram` text (.mmd) or a standalone SVG (.svg)
// drawn here from the same rows, so no browser or Mermaid runtime is needed to get a picture.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Row, SequenceDiagram, SourceRef } from '../model/sequence.js';
import { UsageError } from './args.js';

/** Row ranges to box and label (the sync attempts of a validated log); boxes that overlap are drawn in SVG only. */
export type Groups = readonly { readonly label: string; readonly from: number; readonly to: number }[];

/** Mermaid takes `;` and `#` as syntax inside messages; keep the text readable without them. */
function mm(text: string): string {
  return text.replace(/;/g, ',').replace(/#/g, 'no. ').replace(/\n/g, ' ');
}

export function toMermaid(d: SequenceDiagram & { groups?: Groups }): string {
  const out = ['sequenceDiagram', `    title ${mm(d.title)}`];
  // Mermaid ids: letters, digits, _ only
  const id = (x: string) => x.replace(/[^A-Za-z0-9_]/g, '_');
  for (const l of d.lanes) out.push(`    participant ${id(l.id)} as ${mm(l.label)}`);
  // boxes only when they do not overlap (Mermaid's rect blocks nest, they cannot cross)
  const gs = [...(d.groups ?? [])].sort((a, b) => a.from - b.from);
  const boxes = gs.every((g, i) => i === 0 || g.from > gs[i - 1]!.to) ? gs : [];
  const starts = new Map(boxes.map((g) => [g.from, g]));
  const ends = new Set(boxes.map((g) => g.to));
  d.rows.forEach((r, i) => {
    const g = starts.get(i);
    if (g) out.push('    rect rgb(238, 243, 255)', `    Note over ${id(d.lanes[0]!.id)}: ${mm(g.label)}`);
    const pad = g || boxes.some((b) => i > b.from && i <= b.to) ? '    ' : '';
    if (r.kind === 'arrow') out.push(`    ${pad}${id(r.from)}${r.cross ? '-x' : '->>'}${id(r.to)}: ${mm(r.text)}`);
    else out.push(`    ${pad}Note over ${r.over.map(id).join(',')}: ${r.alert ? 'VIOLATION ' : ''}${mm(r.text)}`);
    if (ends.has(i)) out.push('    end');
  });
  return out.join('\n') + '\n';
}

/** Text for HTML and SVG (the HTML report, cli/html.ts, uses it too). */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A plain SVG: lanes as vertical lines, one row per arrow or note, in order. `link` gives a row's text a
 * target (the HTML report links each row to its log line); the SVG file alone has none. */
export function toSvg(d: SequenceDiagram & { groups?: Groups }, link?: (ref: SourceRef) => string | undefined): string {
  const laneW = 170, top = 70, rowH = 30, CH = 6.1; // CH: width of a character at font-size 11, about
  const textW = (t: string) => t.length * CH + 12;
  // a note is as wide as its text (at least its lanes); the left margin keeps the widest one on the page
  let left = 20;
  const cx0 = (i: number) => laneW / 2 + i * laneW;
  const idx = new Map(d.lanes.map((l, i) => [l.id, i]));
  let right = cx0(d.lanes.length - 1) + laneW / 2;
  for (const r of d.rows) {
    const xs = r.kind === 'arrow' ? [cx0(idx.get(r.from)!), cx0(idx.get(r.to)!)] : r.over.map((id) => cx0(idx.get(id)!));
    const mid = (Math.min(...xs) + Math.max(...xs)) / 2, half = Math.max(textW(r.text), r.kind === 'note' ? Math.max(...xs) - Math.min(...xs) + laneW - 20 : 0) / 2;
    left = Math.max(left, half - mid + 4);
    right = Math.max(right, mid + half + 4);
  }
  const x = new Map(d.lanes.map((l, i) => [l.id, left + cx0(i)]));
  const width = Math.ceil(left + right + 10);
  const height = top + rowH * (d.rows.length + 1) + 20;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push('<defs><marker id="arr" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>');
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="10" y="18" font-size="13" font-weight="bold">${esc(d.title)}</text>`);
  for (const l of d.lanes) {
    const cx = x.get(l.id)!;
    parts.push(`<rect x="${cx - laneW / 2 + 6}" y="28" width="${laneW - 12}" height="30" rx="4" fill="#eef" stroke="#669"/>`);
    const words = l.label.split(' ');
    const half = Math.ceil(words.length / 2);
    parts.push(`<text x="${cx}" y="41" text-anchor="middle">${esc(words.slice(0, half).join(' '))}</text>`);
    parts.push(`<text x="${cx}" y="53" text-anchor="middle">${esc(words.slice(half).join(' '))}</text>`);
    parts.push(`<line x1="${cx}" y1="${top - 10}" x2="${cx}" y2="${height - 10}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  }
  for (const g of d.groups ?? []) {
    // a band behind the rows of one sync attempt, labelled at its top right
    const y1 = top + rowH * (g.from + 1) - 16, y2 = top + rowH * (g.to + 1) + 10;
    parts.push(`<rect x="2" y="${y1}" width="${width - 4}" height="${y2 - y1}" fill="#eef3ff" fill-opacity="0.55" stroke="#aab" stroke-dasharray="3 2"/>`);
    parts.push(`<text x="${width - 6}" y="${y1 + 11}" text-anchor="end" font-size="10" fill="#446">${esc(g.label)}</text>`);
  }
  d.rows.forEach((r: Row, i) => {
    const y = top + rowH * (i + 1);
    const href = r.ref && link ? link(r.ref) : undefined;
    const a = (text: string) => (href ? `<a href="${esc(href)}">${text}</a>` : text);
    if (r.kind === 'arrow') {
      const x1 = x.get(r.from)!, x2 = x.get(r.to)!;
      parts.push(`<line x1="${x1}" y1="${y}" x2="${x2 + (x2 > x1 ? -2 : 2)}" y2="${y}" stroke="${r.cross ? '#b00' : '#333'}" stroke-width="1.3" marker-end="url(#arr)"/>`);
      if (r.cross) parts.push(`<text x="${x2}" y="${y + 4}" text-anchor="middle" fill="#b00" font-size="14">×</text>`);
      parts.push(a(`<text x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle"${r.cross ? ' fill="#b00"' : ''}>${esc(r.text)}</text>`));
    } else {
      const xs = r.over.map((id) => x.get(id)!);
      const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
      const w = Math.max(textW(r.text), Math.max(...xs) - Math.min(...xs) + laneW - 20);
      parts.push(`<rect x="${mid - w / 2}" y="${y - 13}" width="${w}" height="20" rx="3" fill="${r.alert ? '#fdd' : '#ffc'}" stroke="${r.alert ? '#b00' : '#cc9'}"/>`);
      parts.push(a(`<text x="${mid}" y="${y + 1}" text-anchor="middle"${r.alert ? ' fill="#b00" font-weight="bold"' : ''}>${esc(r.text)}</text>`));
    }
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Writes the diagram as Mermaid (.mmd) or SVG (.svg), by the file's extension. */
export function writeDiagram(file: string, d: SequenceDiagram & { groups?: Groups }): void {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.mmd') writeFileSync(file, toMermaid(d));
  else if (ext === '.svg') writeFileSync(file, toSvg(d));
  else throw new UsageError(`--diagram ${file}: expected a .mmd (Mermaid) or .svg file name`);
}
