/**
 * HTML escaping exactly as React DOM escapes text and attribute values, so strings the
 * fast path drops into pre-rendered markup come out as React would have rendered them.
 * Shared by the assembler and the link signer (which escapes only the fixed part of each
 * URL, once).
 */
import { foldText } from '../../emails/_components/fold';

const NEEDS_ESCAPE = /["&'<>]/;

export function escapeHtml(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/["&'<>]/g, (char) => {
    switch (char) {
      case '"':
        return '&quot;';
      case '&':
        return '&amp;';
      case "'":
        return '&#x27;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

/** Free text as the templates render it: folded into lines (foldText), then escaped. */
export function escapeProse(value: string): string {
  return escapeHtml(foldText(value));
}
