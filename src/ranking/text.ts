/**
 * Turns titles, abstracts and interest phrases into the same stemmed token streams, so a
 * query and a document can only meet on equal terms. Stopwords include the boilerplate of
 * abstracts ("we propose a novel method"), which carries no topic. Hyphenated prefixes are
 * glued ("multi-modal" = "multimodal", "pre-training" = "pretraining") because authors
 * write both; other hyphenated compounds ("vision-language") split into their words.
 */
import { stemmer as stem } from 'stemmer';

const STOPWORDS = new Set(
  `a about above across after again against all almost along also although always am among an and another any
  are around as at be became because been before being below between both but by can could did do does doing done
  during each either else enough etc even ever every for from further had has have having he her here hers
  him his how however i if in into is it its itself just least less let like made make makes many may me might
  more most much must my neither no nor not now of off often on once one only onto or other others otherwise our
  ours out over own per perhaps rather same several shall she should since so some such than that the their them
  then there therefore these they this those though through thus to too toward towards under until up upon us
  use used uses using very via was we well were what whatever when where whereas whether which while who whom
  whose why will with within without would yet you your
  paper papers propose proposes proposed present presents presented introduce introduces introduced show shows
  shown demonstrate demonstrates demonstrated novel new approach approaches method methods methodology framework
  work works study studies result results experiment experiments experimental extensive significantly
  significant existing based achieve achieves achieved outperform outperforms performance furthermore
  moreover additionally specifically recent recently various different including include includes e g i e et al
  available github https http www com project page`.split(/\s+/),
);

/** Prefixes that authors hyphenate or not at will; glued to the next word when hyphenated. */
const GLUED_PREFIXES = new Set([
  'multi',
  'pre',
  'post',
  'co',
  'non',
  'semi',
  're',
  'sub',
  'un',
  'anti',
  'meta',
  'mini',
  'micro',
  'hyper',
  'over',
  'under',
  'auto',
  'fine',
  'bi',
  'tri',
  'inter',
  'intra',
  'de',
]);

/**
 * Prefixes that name a stage of the activity they qualify: pre-training and post-training
 * are training, preprocessing is processing. Unlike "multi-agent" (not an agent) or
 * "non-linear", the head is the same thing, so it is weaker evidence of the compound.
 */
const STAGE_PREFIXES = /\b(pre|post)-([a-z]{3,})/gi;

/**
 * Compound -> head stems ("pretrain" -> "train") for the stage compounds that the texts
 * added actually write with a hyphen: the hyphen proves the prefix, so "preserving" is
 * never taken for a stage of "serving".
 */
export class StageMiner {
  readonly heads = new Map<string, string>();

  add(text: string): void {
    for (const match of text.matchAll(STAGE_PREFIXES)) {
      const compound = tokenize(`${match[1]}-${match[2]}`);
      const head = tokenize(match[2]!);
      if (compound.length === 1 && head.length === 1 && compound[0] !== head[0]) {
        this.heads.set(compound[0]!, head[0]!);
      }
    }
  }
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Lower-case ASCII-folded words of `text`, hyphenated prefixes glued, before stopwords and stemming. */
export function words(text: string): string[] {
  const folded = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’']s\b/g, '')
    .replace(/[’']/g, '');
  const out: string[] = [];
  for (const chunk of folded.split(/[^a-z0-9-]+/)) {
    if (!chunk) continue;
    if (!chunk.includes('-')) {
      out.push(chunk);
      continue;
    }
    const parts = chunk.split('-');
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index]!;
      if (!part) continue;
      const next = parts[index + 1];
      if (next && GLUED_PREFIXES.has(part)) {
        parts[index + 1] = part + next;
        continue;
      }
      out.push(part);
    }
  }
  return out;
}

/** Stems already computed: a few thousand words make up most of every abstract. */
const stems = new Map<string, string>();
const MAX_STEMS = 50_000;

function stemOf(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    if (stems.size >= MAX_STEMS) stems.clear();
    stemmed = stem(word);
    stems.set(word, stemmed);
  }
  return stemmed;
}

/** Stemmed, stopword-free tokens: the unit of indexing and querying. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const word of words(text)) {
    if (STOPWORDS.has(word)) continue;
    if (word.length === 1 && !/\d/.test(word)) continue;
    tokens.push(stemOf(word));
  }
  return tokens;
}

/** Case- and accent-insensitive author name key: "Yann LeCun" = "yann lecun". */
export function nameKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}
