/**
 * Static text with holes, the unit of the digest fast path: a React render made with
 * placeholder strings is split at the placeholders (`compile`), the holes known per
 * edition are filled once (`bind`) and the result kept as the JSON bytes it is sent as
 * (`jsonTemplate`), and the per-subscriber holes are filled per email (`fillJsonInto`),
 * which only lists pieces and counts their bytes; `fill` makes the string, to check a
 * template against React. Placeholders are a random marker plus a name, chosen so that no
 * rendered string can contain one by accident.
 */
import { asciiJsonInner, type JsonChunks } from '../lib/json';
import { quotedPrintableWeight } from './fit';

/** Static text with holes: output = parts[0] + values[slots[0]] + parts[1] + … */
export interface Template {
  parts: string[];
  /** Indexes into the values array the template is filled with. */
  slots: number[];
}

/** A compiled render whose holes are still named (see `compile`). */
export interface NamedTemplate {
  parts: string[];
  names: string[];
}

/** A fresh marker that none of `rendered` contains. */
export function randomMarker(rendered: readonly string[]): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  // Markers are PDSLOT + random letters: if no rendered string contains the prefix, any
  // marker is safe, which spares checking each candidate against every string.
  const prefixSeen = rendered.some((value) => value.includes('PDSLOT'));
  for (;;) {
    let nonce = '';
    for (const byte of crypto.getRandomValues(new Uint8Array(10))) nonce += letters[byte % 26];
    const marker = `PDSLOT${nonce}`;
    if (!prefixSeen || !rendered.some((value) => value.includes(marker))) return marker;
  }
}

/** The placeholder for hole `name` (names are letters and digits, never Z). */
export const slot = (marker: string, name: string): string => `${marker}${name}Z`;

/** Splits a render at its placeholders. */
export function compile(source: string, marker: string): NamedTemplate {
  const pattern = new RegExp(`${marker}([A-Za-z0-9]+?)Z`, 'g');
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of source.matchAll(pattern)) {
    parts.push(source.slice(last, match.index));
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  parts.push(source.slice(last));
  return { parts, names };
}

/**
 * Fills the holes named in `values` and keeps those in `keep` (numbered by their position
 * there), merging the static text around filled holes.
 */
export function bind(
  template: NamedTemplate,
  values: Readonly<Record<string, string>>,
  keep: readonly string[],
): Template {
  const parts = [template.parts[0]!];
  const slots: number[] = [];
  template.names.forEach((name, index) => {
    const kept = keep.indexOf(name);
    if (kept >= 0) {
      slots.push(kept);
      parts.push(template.parts[index + 1]!);
    } else {
      const value = values[name];
      if (value === undefined) throw new Error(`digest template: no value for placeholder ${name}`);
      parts[parts.length - 1] += value + template.parts[index + 1]!;
    }
  });
  return { parts, slots };
}

export function fill(template: Template, values: readonly string[]): string {
  const { parts, slots } = template;
  let out = parts[0]!;
  for (let index = 0; index < slots.length; index++) out += values[slots[index]!]! + parts[index + 1]!;
  return out;
}

/** A template whose static parts are already bytes of an ASCII JSON string literal. */
export interface JsonTemplate {
  parts: Uint8Array[];
  slots: number[];
  /** The bytes of all parts together: a filled template's size without walking its pieces. */
  bytes: number;
  /** The parts' quoted-printable weight (fit.ts): an HTML email's size as sent, the same way. */
  weight: number;
}

const utf8 = new TextEncoder();

/**
 * The template as the bytes it is sent as, every part a view of one buffer: the form the
 * assembler fills (layouts and cards). Keeping a card's strings too would double it (its
 * strings turn two-byte when flattened, for one character past Latin-1 such as ▲), and a
 * buffer per part costs more in overhead than the part itself: ~5 KB a typical card
 * instead of ~11.
 */
export function jsonTemplate(template: Template): JsonTemplate {
  const escaped = template.parts.map(asciiJsonInner);
  const bytes = utf8.encode(escaped.join(''));
  const parts: Uint8Array[] = [];
  let at = 0;
  let weight = 0;
  for (const part of template.parts) weight += quotedPrintableWeight(part);
  for (const part of escaped) {
    // ASCII: a part's bytes are its characters.
    parts.push(bytes.subarray(at, at + part.length));
    at += part.length;
  }
  return { parts, slots: template.slots, bytes: bytes.length, weight };
}

/** The quoted-printable weight of the template filled with values of these weights. */
export function filledWeight(template: JsonTemplate, weights: readonly number[]): number {
  let weight = template.weight;
  for (const slot of template.slots) weight += weights[slot]!;
  return weight;
}

/**
 * Appends the filled template as pieces of an ASCII JSON string literal (the form an
 * email is built in): its static parts encoded once, `values` already escaped. Returns the
 * bytes appended.
 */
export function fillJsonInto(
  out: JsonChunks,
  template: JsonTemplate,
  values: readonly (string | Uint8Array)[],
): number {
  const { parts, slots } = template;
  let bytes = template.bytes;
  out.push(parts[0]!);
  for (let index = 0; index < slots.length; index++) {
    const value = values[slots[index]!]!;
    bytes += value.length;
    out.push(value, parts[index + 1]!);
  }
  return bytes;
}
