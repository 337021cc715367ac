/**
 * arXiv's category taxonomy (arxiv.org/category_taxonomy), as arXiv spells each category.
 * Sign-up and preferences check a category interest against it: an entry shaped like a
 * category but not one (`cs.ML`, a typo like `cs.CLL`) matched no paper, in the ingest's
 * query or in ranking, so the interest was lost without a word. Archives without subject
 * classes (`hep-th`, `quant-ph`) are categories by themselves.
 */
const SUBJECTS: Record<string, string> = {
  cs: 'AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL RO SC SD SE SI SY',
  econ: 'EM GN TH',
  eess: 'AS IV SP SY',
  math: 'AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST',
  'astro-ph': 'CO EP GA HE IM SR',
  'cond-mat': 'dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con',
  nlin: 'AO CD CG PS SI',
  physics:
    'acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph',
  'q-bio': 'BM CB GN MN NC OT PE QM SC TO',
  'q-fin': 'CP EC GN MF PM PR RM ST TR',
  stat: 'AP CO ME ML OT TH',
};

export const ARXIV_CATEGORIES: ReadonlySet<string> = new Set(
  Object.entries(SUBJECTS).flatMap(([archive, subjects]) =>
    subjects.split(' ').map((subject) => `${archive}.${subject}`),
  ),
);

/** Archives without subject classes: categories by themselves (`hep-th`, `quant-ph`). */
export const STANDALONE_ARCHIVES: ReadonlySet<string> = new Set([
  'gr-qc',
  'hep-ex',
  'hep-lat',
  'hep-ph',
  'hep-th',
  'math-ph',
  'nucl-ex',
  'nucl-th',
  'quant-ph',
]);

/** Categories elsewhere in the taxonomy with the same subject class (`cs.ML` → `stat.ML`). */
export function sameSubjectCategories(category: string): string[] {
  const subject = category.slice(category.indexOf('.') + 1).toLowerCase();
  return [...ARXIV_CATEGORIES].filter(
    (known) => known.slice(known.indexOf('.') + 1).toLowerCase() === subject,
  );
}
