/**
 * arXiv titles and abstracts are TeX source ("$\alpha$-divergence", "$O(n \log n)$",
 * "\textit{foo}", "48.6\%", "R\'{e}nyi"), and Hugging Face copies them as they are. This
 * turns the common TeX into the Unicode a reader expects, for display only: the stored
 * text stays the author's (an operator or API client can still read it), and the ranking
 * keeps reading it, where a macro is already a word ("\alpha" tokenizes to "alpha", what a
 * subscriber types), so rankings do not move. A small table rather than a package (e.g.
 * unicodeit, which knows math symbols but not `$` pairing, text commands, escapes or
 * accents): unknown commands degrade to their argument (`\foo{bar}` → "bar") or, with none,
 * to their name without the backslash (an author's `\OneMillion` macro names the thing).
 * The output is plain text (callers escape it for HTML); a lone "$" ("$5 million") stays.
 */

const SYMBOLS: Record<string, string> = {
  // Greek
  alpha: 'α',
  beta: 'β',
  gamma: 'γ',
  delta: 'δ',
  epsilon: 'ε',
  varepsilon: 'ε',
  zeta: 'ζ',
  eta: 'η',
  theta: 'θ',
  vartheta: 'ϑ',
  iota: 'ι',
  kappa: 'κ',
  lambda: 'λ',
  mu: 'μ',
  nu: 'ν',
  xi: 'ξ',
  pi: 'π',
  varpi: 'ϖ',
  rho: 'ρ',
  varrho: 'ϱ',
  sigma: 'σ',
  varsigma: 'ς',
  tau: 'τ',
  upsilon: 'υ',
  phi: 'ϕ',
  varphi: 'φ',
  chi: 'χ',
  psi: 'ψ',
  omega: 'ω',
  Gamma: 'Γ',
  Delta: 'Δ',
  Theta: 'Θ',
  Lambda: 'Λ',
  Xi: 'Ξ',
  Pi: 'Π',
  Sigma: 'Σ',
  Upsilon: 'Υ',
  Phi: 'Φ',
  Psi: 'Ψ',
  Omega: 'Ω',
  // Relations, operators, arrows
  times: '×',
  cdot: '·',
  cdots: '⋯',
  ldots: '…',
  dots: '…',
  pm: '±',
  mp: '∓',
  div: '÷',
  leq: '≤',
  le: '≤',
  geq: '≥',
  ge: '≥',
  neq: '≠',
  ne: '≠',
  approx: '≈',
  sim: '∼',
  simeq: '≃',
  equiv: '≡',
  propto: '∝',
  ll: '≪',
  gg: '≫',
  to: '→',
  rightarrow: '→',
  leftarrow: '←',
  Rightarrow: '⇒',
  Leftarrow: '⇐',
  leftrightarrow: '↔',
  Leftrightarrow: '⇔',
  mapsto: '↦',
  uparrow: '↑',
  downarrow: '↓',
  in: '∈',
  notin: '∉',
  subset: '⊂',
  subseteq: '⊆',
  supset: '⊃',
  supseteq: '⊇',
  cup: '∪',
  cap: '∩',
  setminus: '∖',
  emptyset: '∅',
  varnothing: '∅',
  forall: '∀',
  exists: '∃',
  neg: '¬',
  land: '∧',
  lor: '∨',
  wedge: '∧',
  vee: '∨',
  sum: '∑',
  prod: '∏',
  int: '∫',
  oint: '∮',
  partial: '∂',
  nabla: '∇',
  infty: '∞',
  ell: 'ℓ',
  hbar: 'ħ',
  circ: '∘',
  star: '⋆',
  ast: '∗',
  bullet: '•',
  dagger: '†',
  ddagger: '‡',
  top: '⊤',
  perp: '⊥',
  mid: '|',
  vert: '|',
  langle: '⟨',
  rangle: '⟩',
  lceil: '⌈',
  rceil: '⌉',
  lfloor: '⌊',
  rfloor: '⌋',
  prime: '′',
  angle: '∠',
  oplus: '⊕',
  otimes: '⊗',
  odot: '⊙',
  checkmark: '✓',
  // Text symbols and abbreviations authors define
  textasciitilde: '~',
  textbackslash: '\\',
  textbar: '|',
  textless: '<',
  textgreater: '>',
  textendash: '–',
  textemdash: '—',
  textdegree: '°',
  degree: '°',
  S: '§',
  P: '¶',
  copyright: '©',
  textregistered: '®',
  texttrademark: '™',
  pounds: '£',
  euro: '€',
  LaTeX: 'LaTeX',
  TeX: 'TeX',
  eg: 'e.g.',
  ie: 'i.e.',
  etal: 'et al.',
  etc: 'etc.',
  wrt: 'w.r.t.',
  vs: 'vs.',
  aka: 'a.k.a.',
  ss: 'ß',
  o: 'ø',
  O: 'Ø',
  aa: 'å',
  AA: 'Å',
  ae: 'æ',
  AE: 'Æ',
  oe: 'œ',
  OE: 'Œ',
  l: 'ł',
  L: 'Ł',
  i: 'ı',
  quad: ' ',
  qquad: ' ',
};

/** Commands whose argument is shown as it is (fonts, boxes, text in math). */
const KEEP_ARGUMENT = new Set(
  `textit textbf texttt textsc textrm textsf textsl textup textmd textnormal emph underline mbox
  text mathrm mathbf mathit mathsf mathtt mathcal mathscr mathfrak boldsymbol bm operatorname
  mathnormal hat bar tilde vec widehat widetilde overline dot ddot emph uline`.split(/\s+/),
);

/** Commands dropped with their argument: references mean nothing outside the paper. */
const DROP_WITH_ARGUMENT = new Set(['cite', 'citep', 'citet', 'ref', 'eqref', 'label', 'footnote']);

/** Commands dropped, name and all: sizing, spacing and font switches. */
const DROP = new Set(
  `left right big Big bigg Bigg bigl bigr Bigl Bigr displaystyle textstyle limits nolimits em it bf
  tt sc rm sf sl small large Large footnotesize normalsize tiny huge Huge noindent centering
  mathop nonumber`.split(/\s+/),
);

/** Blackboard letters every font has (the Letterlike Symbols block); others stay plain. */
const DOUBLE_STRUCK: Record<string, string> = { C: 'ℂ', H: 'ℍ', N: 'ℕ', P: 'ℙ', Q: 'ℚ', R: 'ℝ', Z: 'ℤ' };

/** Accent commands as combining marks, composed with their letter (NFC) afterwards. */
const ACCENTS: Record<string, string> = {
  "'": '\u0301',
  '`': '\u0300',
  '^': '\u0302',
  '"': '\u0308',
  '~': '\u0303',
  '=': '\u0304',
  '.': '\u0307',
  c: '\u0327',
  v: '\u030c',
  u: '\u0306',
  H: '\u030b',
  r: '\u030a',
  k: '\u0328',
};

const SUPERSCRIPT: Record<string, string> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '+': '⁺',
  '-': '⁻',
  '−': '⁻',
  '=': '⁼',
  '(': '⁽',
  ')': '⁾',
  a: 'ᵃ',
  b: 'ᵇ',
  c: 'ᶜ',
  d: 'ᵈ',
  e: 'ᵉ',
  f: 'ᶠ',
  g: 'ᵍ',
  h: 'ʰ',
  i: 'ⁱ',
  j: 'ʲ',
  k: 'ᵏ',
  l: 'ˡ',
  m: 'ᵐ',
  n: 'ⁿ',
  o: 'ᵒ',
  p: 'ᵖ',
  r: 'ʳ',
  s: 'ˢ',
  t: 'ᵗ',
  u: 'ᵘ',
  v: 'ᵛ',
  w: 'ʷ',
  x: 'ˣ',
  y: 'ʸ',
  z: 'ᶻ',
  T: 'ᵀ',
  '⊤': 'ᵀ',
  '′': '′',
  '∗': '*',
  '*': '*',
  '†': '†',
  '∘': '°',
};
const SUBSCRIPT: Record<string, string> = {
  '0': '₀',
  '1': '₁',
  '2': '₂',
  '3': '₃',
  '4': '₄',
  '5': '₅',
  '6': '₆',
  '7': '₇',
  '8': '₈',
  '9': '₉',
  '+': '₊',
  '-': '₋',
  '−': '₋',
  '=': '₌',
  '(': '₍',
  ')': '₎',
  a: 'ₐ',
  e: 'ₑ',
  h: 'ₕ',
  i: 'ᵢ',
  j: 'ⱼ',
  k: 'ₖ',
  l: 'ₗ',
  m: 'ₘ',
  n: 'ₙ',
  o: 'ₒ',
  p: 'ₚ',
  r: 'ᵣ',
  s: 'ₛ',
  t: 'ₜ',
  u: 'ᵤ',
  v: 'ᵥ',
  x: 'ₓ',
};

/** Characters a backslash escapes in text: shown as themselves. */
const ESCAPED = new Set(['%', '&', '_', '#', '$', '{', '}', '@', '|']);

/** A tie ("RTX~3090", "Fig.~3"): a "~" between a letter or "." and a letter, digit or command. */
const TIE = /[A-Za-z.]~[A-Za-z0-9\\]/;

/**
 * Anything TeX-like at all: most titles have none, and are returned as they are. A tie
 * counts alone: an abstract whose only TeX it was showed its "~".
 */
const TEX_HINT = new RegExp(`[\\\\$]|--|\`\`|${TIE.source}`);

/** Text that ends inside a URL: a "~" there is part of the address, not a tie. */
const IN_URL = /(?:https?:\/\/|www\.)\S*$/i;

/** Deeper nesting than any real abstract is left as it is, not recursed into. */
const MAX_DEPTH = 16;

/** The text with common TeX rendered as Unicode (see the file comment). */
export function readableTex(text: string): string {
  if (!TEX_HINT.test(text)) return text;
  const out = render(text, false, 0)
    .replace(/``([^`'"]*)''/g, '“$1”')
    .replace(/(^|[^-])---(?!-)/g, '$1—')
    // "10--20", "Fine--tuning", "A -- B"; not a command-line flag ("--help") after a space.
    .replace(/(^|[^\s-])--(?![-\s]?$)(?!-)/g, '$1–')
    .replace(/(\s)--(\s)/g, '$1–$2');
  return out.normalize('NFC').replace(/ {2,}/g, ' ').trim();
}

interface Argument {
  text: string;
  end: number;
  braced: boolean;
}

/** The argument at `from`: a {group}, a control sequence, or one character; spaces before it skipped. */
function readArgument(source: string, from: number): Argument | null {
  let at = from;
  while (source[at] === ' ') at++;
  const char = source[at];
  if (char === undefined || char === '}') return null;
  if (char === '{') {
    let depth = 0;
    for (let index = at; index < source.length; index++) {
      const current = source[index];
      if (current === '\\') index++;
      else if (current === '{') depth++;
      else if (current === '}' && --depth === 0) {
        return { text: source.slice(at + 1, index), end: index + 1, braced: true };
      }
    }
    return null;
  }
  if (char === '\\') {
    const name = /^\\(?:[A-Za-z]+|.)/.exec(source.slice(at, at + 40));
    return name ? { text: name[0], end: at + name[0].length, braced: false } : null;
  }
  // One character (a whole surrogate pair).
  const code = source.codePointAt(at)!;
  const length = code > 0xffff ? 2 : 1;
  return { text: source.slice(at, at + length), end: at + length, braced: false };
}

/**
 * Where the `$` opening math at `open` closes, or -1: pandoc's rule (no space inside either
 * `$`, no digit right after the closing one), so "$5 and $10" and "$5-$10" are no math;
 * but math that is plainly TeX may touch a number ("$\sim$10%").
 */
function closingDollar(source: string, open: number): number {
  const first = source[open + 1];
  if (first === undefined || first === ' ' || first === '$') return -1;
  for (let index = open + 1; index < source.length; index++) {
    const char = source[index];
    if (char === '\\') {
      index++;
      continue;
    }
    if (char === '$') {
      if (source[index - 1] === ' ') return -1;
      if (/[0-9]/.test(source[index + 1] ?? '') && !/[\\^_{]/.test(source.slice(open + 1, index))) return -1;
      return index;
    }
  }
  return -1;
}

function script(content: string, table: Record<string, string>, mark: string): string {
  const chars = [...content.trim()];
  if (chars.length > 0 && chars.every((char) => table[char] !== undefined)) {
    return chars.map((char) => table[char]).join('');
  }
  return chars.length <= 1 ? `${mark}${content.trim()}` : `${mark}(${content.trim()})`;
}

/** Parenthesised when more than a word, for "a/b" and "√x". */
const grouped = (value: string): string => (/^[\p{L}\p{N}.]*$/u.test(value) ? value : `(${value})`);

function render(source: string, math: boolean, depth: number): string {
  if (depth > MAX_DEPTH) return source;
  const inner = (value: string, inMath = math) => render(value, inMath, depth + 1);
  let out = '';
  let at = 0;
  while (at < source.length) {
    const char = source[at]!;
    if (char === '\\') {
      const next = source[at + 1];
      if (next === undefined) {
        at++;
        continue;
      }
      const word = /^[A-Za-z]+/.exec(source.slice(at + 1, at + 41));
      if (!word) {
        at += 2;
        const accent = ACCENTS[next];
        if (accent !== undefined && !math) {
          const argument = readArgument(source, at);
          const base = argument ? inner(argument.text) : '';
          if (argument && base) {
            out += base + accent;
            at = argument.end;
          } else out += next;
        } else if (ESCAPED.has(next)) out += next;
        else if (next === '\\' || next === ',' || next === ';' || next === ':' || next === ' ') out += ' ';
        else if (next === '!' || next === '(' || next === ')' || next === '[' || next === ']') {
          // Negative space, and \( \) \[ \] math delimiters: nothing to show.
        } else out += next;
        continue;
      }
      const name = word[0];
      at += 1 + name.length;
      if (name.length === 1 && ACCENTS[name] !== undefined && !math) {
        // \c{c}, \v{s}, \u{a}, \H{o}, \r{a}, \k{a}: only with an argument.
        const argument = readArgument(source, at);
        if (argument?.braced && argument.text) {
          out += inner(argument.text) + ACCENTS[name];
          at = argument.end;
          continue;
        }
      }
      if (name === 'frac' || name === 'tfrac' || name === 'dfrac') {
        const numerator = readArgument(source, at);
        const denominator = numerator && readArgument(source, numerator.end);
        if (numerator && denominator) {
          out += `${grouped(inner(numerator.text, true).trim())}/${grouped(inner(denominator.text, true).trim())}`;
          at = denominator.end;
          continue;
        }
      }
      if (name === 'sqrt') {
        const argument = readArgument(source, at);
        if (argument) {
          out += `√${grouped(inner(argument.text, true).trim())}`;
          at = argument.end;
          continue;
        }
      }
      if (name === 'url' || name === 'href') {
        const target = readArgument(source, at);
        if (target?.braced) {
          const label = name === 'href' ? readArgument(source, target.end) : null;
          const shown = label?.braced ? inner(label.text, false).trim() : '';
          out += shown && shown !== target.text ? `${shown} (${target.text})` : target.text;
          at = label?.braced ? label.end : target.end;
          continue;
        }
      }
      if (name === 'mathbb') {
        const argument = readArgument(source, at);
        if (argument) {
          out += [...inner(argument.text, true)].map((letter) => DOUBLE_STRUCK[letter] ?? letter).join('');
          at = argument.end;
          continue;
        }
      }
      if (DROP.has(name)) continue;
      if (DROP_WITH_ARGUMENT.has(name)) {
        const argument = readArgument(source, at);
        if (argument?.braced) at = argument.end;
        continue;
      }
      const symbol = SYMBOLS[name];
      if (symbol !== undefined) {
        out += symbol;
        // "\alpha-divergence" keeps its hyphen; "\eg{}" its braces' nothing.
        if (source.startsWith('{}', at)) at += 2;
        continue;
      }
      // Fonts and unknown commands with an argument show the argument; unknown ones without
      // one (an author's macro such as \OneMillion) show their name.
      const argument = source[at] === '{' ? readArgument(source, at) : null;
      if (argument && (argument.text.trim() || KEEP_ARGUMENT.has(name))) {
        out += inner(argument.text);
        at = argument.end;
      } else {
        if (!KEEP_ARGUMENT.has(name)) out += name;
        if (argument) at = argument.end;
      }
      continue;
    }
    if (char === '$' && !math) {
      const double = source[at + 1] === '$';
      const open = double ? at + 1 : at;
      const close = closingDollar(source, open);
      if (close > open + 1 && (!double || source[close + 1] === '$')) {
        out += inner(source.slice(open + 1, close), true);
        at = close + (double ? 2 : 1);
        continue;
      }
      out += char;
      at++;
      continue;
    }
    if (char === '{' && (math || source[at + 1] === '\\')) {
      // A group: math groups always, text groups that start with a command ({\em x}, {\'e}).
      const argument = readArgument(source, at);
      if (argument) {
        out += inner(argument.text);
        at = argument.end;
        continue;
      }
    }
    if (
      char === '~' &&
      !math &&
      at > 0 &&
      TIE.test(source.slice(at - 1, at + 2)) &&
      !IN_URL.test(source.slice(Math.max(0, at - 300), at))
    ) {
      // A tie ("Fig.~3", "Table~\ref{…}"); "~10x" keeps its tilde, and so does a URL
      // ("https://example.org/pkg~v2").
      out += ' ';
      at++;
      continue;
    }
    if (math) {
      if (char === '^' || char === '_') {
        const argument = readArgument(source, at + 1);
        if (argument) {
          const value = inner(argument.text, true);
          out += char === '^' ? script(value, SUPERSCRIPT, '^') : script(value, SUBSCRIPT, '_');
          at = argument.end;
          continue;
        }
      }
      if (char === '}' || char === '{') {
        at++;
        continue;
      }
      if (char === '~') {
        out += ' ';
        at++;
        continue;
      }
    }
    out += char;
    at++;
  }
  return out;
}
