/**
 * Digest rendering, the contract the delivery consumer and the view-in-browser page use.
 *
 * Rendering React per subscriber costs milliseconds and, in workerd, leaves a timer behind
 * per call (a request may hold at most 10,000). So `prepareEdition` (prepare.ts) renders
 * with React Email a few times per edition and compiles the output into static text with
 * holes (template.ts); `assembleDigest` (assemble.ts) then only fills in the subscriber's
 * labels and link tokens. HTML values are escaped exactly as React escapes them and plain
 * text comes from the same html-to-text conversion React Email uses, so the result is
 * byte-identical to `renderDigestReference` (reference.ts: a full React render of the same
 * props), which the tests and the benchmark check for many random subscribers.
 */
export { assembleDigest, fallbackRenders } from './assemble';
export { cardPaper, type DigestBasis } from './format';
export { escapeHtml } from './html';
export {
  DEFAULT_CARD_BYTES,
  type PreparedEdition,
  type PrepareEditionInput,
  prepareEdition,
} from './prepare';
export {
  type DigestEmail,
  type DigestRecipient,
  renderDigestHtml,
  renderDigestReference,
} from './reference';
