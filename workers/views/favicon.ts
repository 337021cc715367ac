/**
 * The site icon: a page of text lines on the pages' accent colour, as a small SVG (one
 * file sharp at every size and density, no binary in the repository). Only shapes with
 * fixed fills: no script, style or link, so it renders alike in light and dark tab bars
 * and under any CSP.
 */
/** Where the layout links it (workers/routes/assets.ts serves it). */
export const FAVICON_PATH = '/favicon.svg';

export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="7" fill="#4f46e5"/>' +
  '<path d="M9 10h14M9 16h14M9 22h9" stroke="#fff" stroke-width="3" stroke-linecap="round"/>' +
  '</svg>';
