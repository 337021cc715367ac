/**
 * Reading Accept and Content-Type as media types (RFC 9110 §8.3, §12.5.1) to decide between
 * a page and JSON. JSON is `application/json` or any structured `+json` type (RFC 6839:
 * `application/problem+json`, `application/vnd.api+json`), so API clients that name their
 * dialect get JSON rather than HTML. Accept is weighed by q-values, each type by its most
 * specific matching range (`text/html;q=0.9, application/json` prefers JSON;
 * `application/json;q=0` refuses it); a tie, including a missing header or a bare `*\/*`,
 * goes to whichever the caller names as its default.
 */

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

/** `type/subtype` in lower case, without parameters; '' when there is none. */
function essence(header: string | null | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** JSON or a structured `+json` type (a Content-Type or one Accept range). */
export function isJsonType(mediaType: string): boolean {
  const [type, subtype] = essence(mediaType).split('/');
  return !!type && type !== '*' && (subtype === 'json' || (subtype?.endsWith('+json') ?? false));
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [range, ...params] = part.split(';');
    const [type, subtype] = (range ?? '').trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((piece) => piece.trim());
      if (name?.toLowerCase() !== 'q') continue;
      const parsed = Number(value);
      // A malformed q is read as the range not being weighted (1), not as refusing it.
      if (value && Number.isFinite(parsed)) q = Math.min(1, Math.max(0, parsed));
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** The q of `mediaType` under `ranges`: that of the most specific range matching it, 0 if none does. */
function qualityOf(ranges: MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/');
  let best = { specificity: -1, q: 0 };
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 2
        : range.type === type && range.subtype === '*'
          ? 1
          : range.type === '*' && range.subtype === '*'
            ? 0
            : -1;
    if (specificity > best.specificity) best = { specificity, q: range.q };
  }
  return best.q;
}

/**
 * Whether an Accept header prefers JSON to a page. A missing or empty header accepts
 * anything: the tie goes to `tie` (pages for the public site, JSON for the admin API), as
 * does a header refusing both (`application/json;q=0` alone: there is nothing better).
 */
export function acceptPrefersJson(accept: string | null | undefined, tie: 'html' | 'json' = 'html'): boolean {
  const ranges = parseAccept(accept?.trim() ? accept : '*/*');
  // The JSON types the client named (a `+json` dialect it asked for), and plain JSON.
  const jsonTypes = new Set(['application/json']);
  for (const range of ranges) {
    const name = `${range.type}/${range.subtype}`;
    if (isJsonType(name)) jsonTypes.add(name);
  }
  const json = Math.max(...[...jsonTypes].map((name) => qualityOf(ranges, name)));
  const html = qualityOf(ranges, 'text/html');
  if (json === html) return tie === 'json';
  return json > html;
}
