/**
 * The inbox preview line. React Email's <Preview> pads with a number of spacer characters
 * that depends on the text's length; this one uses a fixed spacer so the digest's layout
 * can be rendered once per edition and the per-subscriber preview text dropped in later.
 * Hidden in every client and skipped in the plain-text part.
 */
const SPACER = '\u00a0\u200c'.repeat(60);

export function Preheader({ text }: { text: string }) {
  return (
    <div
      data-skip-in-text="true"
      style={{
        display: 'none',
        overflow: 'hidden',
        lineHeight: '1px',
        opacity: 0,
        maxHeight: 0,
        maxWidth: 0,
        fontSize: '1px',
      }}
    >
      {text}
      <span>{SPACER}</span>
    </div>
  );
}
