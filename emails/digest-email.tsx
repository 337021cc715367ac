/**
 * The personalised digest: a header with the edition date and how many papers were picked,
 * one card per paper, and a footer saying why the reader gets it, with preferences,
 * unsubscribe, view-in-browser and feed links (the web version: none, see `web`) and the
 * sender's identity and postal address. 600 px wide and fluid below that (with a viewport, so the same HTML is the
 * readable phone page behind "view in browser"; Outlook on Windows, which ignores
 * max-width, gets the 600 px from a ghost table), system fonts, readable in dark mode. The
 * delivery pipeline does not
 * render this per subscriber: it renders the layout and every card once per edition and
 * assembles each email from those pieces (src/digest), byte-identical to rendering this
 * component with the same props, which the tests check. Layout is one-cell tables padded
 * on their cells (PaddedBlock) in the page the notice emails share (PageBody: page and text
 * colour on its cell, for Gmail and Outlook.com's dark mode); text and links are plain
 * elements with only the inline styles clients need, because every byte is sent a
 * hundred times per request.
 */
import { Head, Html } from '@react-email/components';
import { foldText } from './_components/fold';
import { OutlookGhostTable } from './_components/outlook-ghost-table';
import { PaddedBlock } from './_components/padded-block';
import { PageBody } from './_components/page-body';
import { PaperCard, type PaperCardProps } from './_components/paper-card';
import { Preheader } from './_components/preheader';
import { colors, digestCss } from './_components/theme';

export interface DigestEmailProps {
  /** "Thursday, 26 November 2026" */
  editionLabel: string;
  /** "15 papers picked for you" */
  countLabel: string;
  preheader: string;
  papers: PaperCardProps[];
  recipientEmail: string;
  /** The subscriber's interests as one line, or a note that they follow trending papers. */
  interestsLabel: string;
  senderName: string;
  postalAddress: string;
  siteUrl: string;
  unsubscribeUrl: string;
  preferencesUrl: string;
  viewInBrowserUrl: string;
  feedUrl: string;
  /**
   * The web version (/digest): a page whose URL gets shared (copied from the address bar,
   * or kept by a feed reader), so it names neither the address nor the interests and has
   * no preferences, unsubscribe, feed or view link; the email's own links do that. The
   * account fields are not read (pass '').
   */
  web?: boolean;
}

/** The design width: CSS max-width for most clients, a ghost table for Outlook on Windows. */
const WIDTH = 600;

const styles = {
  // A long unbroken word (a URL in a title) wraps instead of widening a phone's page.
  container: {
    maxWidth: `${WIDTH}px`,
    width: '100%',
    margin: '0 auto',
    wordBreak: 'break-word',
  },
  // Paddings are on the cells (see PaddedBlock); the container's is its 12 px gutters on a phone.
  gutters: '0 12px',
  brand: { fontSize: '14px', fontWeight: 700, letterSpacing: '0.04em', margin: '0 0 4px' },
  brandLink: { color: colors.accent, textDecoration: 'none' },
  // The date is the email's <h1> (screen readers list and jump to headings); its size,
  // weight, spacing and colour are all inline, so clients' default heading styles change nothing.
  heading: { color: colors.text, fontSize: '22px', lineHeight: '1.3', fontWeight: 700, margin: '0 0 4px' },
  sub: { color: colors.muted, fontSize: '14px', lineHeight: '1.5', margin: '0 0 16px' },
  header: '4px 4px 0',
  footer: '8px 4px 0',
  small: { color: colors.muted, fontSize: '12px', lineHeight: '1.55', margin: '0 0 8px' },
  // The account links (unsubscribe among them) wrap on a phone: bigger than the small
  // print around them, and wrapped lines 25 px apart, over WCAG 2.5.8's 24.
  footerLinks: { color: colors.muted, fontSize: '14px', lineHeight: '1.8', margin: '0 0 8px' },
  link: { color: colors.accent },
} as const;

/**
 * Who sent the email, in one line: the sender's name and postal address, without saying
 * the name twice when the address already starts with it ("Papers Digest, 1 Example St").
 */
export function senderIdentity(senderName: string, postalAddress: string): string {
  const name = senderName.trim();
  const address = postalAddress.trim();
  if (!name) return address;
  if (!address) return name;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  const mentioned = new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'iu').test(address);
  return mentioned ? address : `${name} · ${address}`;
}

/** The email's footer: whose digest it is, and the subscriber's own links. */
function AccountFooter(props: DigestEmailProps) {
  return (
    <>
      {/* The interests on a line of their own, in the text part too: after an address of up
          to 254 characters, 300 characters of interests in Chinese or Japanese (900 bytes)
          made one line longer than SMTP's 998 bytes. */}
      <p className="pd-m" style={styles.small}>
        {`You are receiving this because ${props.recipientEmail} subscribed to ${props.senderName}.`}
        <br />
        {`\nYour interests: ${foldText(props.interestsLabel)}`}
      </p>
      {/* The four signed links name the site and the subscriber's or delivery's id: in one
          row they passed SMTP's 998 bytes with a long PUBLIC_URL, in the HTML (so each
          starts a line: a newline after the dot renders as the space it replaces) and in
          the text part (so the account's two links and the digest's two are two rows). */}
      <p className="pd-m" style={styles.footerLinks}>
        <a className="pd-l" href={props.preferencesUrl} style={styles.link}>
          Change interests and schedule
        </a>
        {' ·\n'}
        <a className="pd-l" href={props.unsubscribeUrl} style={styles.link}>
          Unsubscribe
        </a>
        <br />
        {'\n'}
        <a className="pd-l" href={props.viewInBrowserUrl} style={styles.link}>
          View in browser
        </a>
        {' ·\n'}
        <a className="pd-l" href={props.feedUrl} style={styles.link}>
          Private Atom feed
        </a>
      </p>
    </>
  );
}

export function DigestEmail(props: DigestEmailProps) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        {/* Mail clients ignore both or use them well; a browser needs them for /digest. */}
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.senderName}: ${props.editionLabel}`}</title>
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <style>{digestCss}</style>
      </Head>
      <PageBody padding="20px 0">
        <Preheader text={props.preheader} />
        <OutlookGhostTable width={WIDTH}>
          <PaddedBlock style={styles.container} padding={styles.gutters}>
            <PaddedBlock padding={styles.header}>
              <p style={styles.brand}>
                <a className="pd-l" href={props.siteUrl} style={styles.brandLink}>
                  {props.senderName}
                </a>
              </p>
              <h1 className="pd-t" style={styles.heading}>
                {props.editionLabel}
              </h1>
              <p className="pd-m" style={styles.sub}>
                {props.web ? (
                  props.countLabel
                ) : (
                  <>
                    {`${props.countLabel} · `}
                    <a className="pd-l" href={props.viewInBrowserUrl} style={styles.link}>
                      View in browser
                    </a>
                  </>
                )}
              </p>
            </PaddedBlock>
            {props.papers.map((paper, position) => (
              // Cards may repeat a title; position keeps keys unique without changing the markup.
              // biome-ignore lint/suspicious/noArrayIndexKey: the list is static for one render
              <PaperCard key={position} {...paper} />
            ))}
            <PaddedBlock padding={styles.footer}>
              {props.web ? (
                <p className="pd-m" style={styles.small}>
                  {`The web version of a digest from ${props.senderName}. To change your interests or schedule, or to unsubscribe, use the links in the email.`}
                </p>
              ) : (
                <AccountFooter {...props} />
              )}
              <p className="pd-m" style={styles.small}>
                {senderIdentity(props.senderName, props.postalAddress)}
              </p>
            </PaddedBlock>
          </PaddedBlock>
        </OutlookGhostTable>
      </PageBody>
    </Html>
  );
}

/** Three real papers of the demo data (data/hf-daily-papers-2026), as the digest shows them. */
const sampleLinks = (id: string) => [
  { label: 'arXiv', href: `https://arxiv.org/abs/${id}` },
  { label: 'PDF', href: `https://arxiv.org/pdf/${id}` },
  { label: 'Hugging Face', href: `https://huggingface.co/papers/${id}` },
];
const sampleVotes = (id: string) => ({
  upUrl: `http://localhost:8787/feedback?token=preview&paper=${id}&vote=up`,
  downUrl: `http://localhost:8787/feedback?token=preview&paper=${id}&vote=down`,
});

DigestEmail.PreviewProps = {
  editionLabel: 'Thursday, 7 May 2026',
  countLabel: '3 papers picked for you',
  preheader:
    'PhysicianBench: Evaluating LLM Agents in Real-World EHR Environments · also: OpenSearch-VL: An Open Recipe for Frontier Multimodal…; Stream-R1: Reliability-Perplexity Aware Reward Distillation…',
  recipientEmail: 'ada@example.org',
  interestsLabel: 'LLM agents, video generation',
  senderName: 'Papers Digest',
  postalAddress: 'Papers Digest, 1 Example Street, Example City',
  siteUrl: 'http://localhost:8787',
  unsubscribeUrl: 'http://localhost:8787/unsubscribe?token=preview',
  preferencesUrl: 'http://localhost:8787/preferences?token=preview',
  viewInBrowserUrl: 'http://localhost:8787/digest?token=preview',
  feedUrl: 'http://localhost:8787/feed?token=preview',
  papers: [
    {
      title: 'PhysicianBench: Evaluating LLM Agents in Real-World EHR Environments',
      url: 'https://huggingface.co/papers/2605.02240',
      authors: 'Ruoqi Liu, Imran Q. Mohiuddin, Austin J. Schoeffler et al.',
      stats: '▲ 3 upvotes',
      summary:
        'We introduce PhysicianBench, a benchmark for evaluating LLM agents on physician tasks grounded in real clinical setting within electronic health record (EHR) environments. Existing medical agent benchmarks primarily focus on static knowledge recall, single-step atomic actions, or action intent without verifiable…',
      links: sampleLinks('2605.02240'),
      why: 'matches “LLM agents”',
      ...sampleVotes('2605.02240'),
    },
    {
      title: 'OpenSearch-VL: An Open Recipe for Frontier Multimodal Search Agents',
      url: 'https://huggingface.co/papers/2605.05185',
      authors: 'Shuang Chen, Kaituo Feng, Hangting Chen et al.',
      stats: '▲ 16 upvotes',
      summary:
        'Deep search has become a crucial capability for frontier multimodal agents, enabling models to solve complex questions through active search, evidence verification, and multi-step reasoning. Despite rapid progress, top-tier multimodal search agents remain difficult to reproduce, largely due to the absence of open…',
      links: sampleLinks('2605.05185'),
      why: 'matches “LLM agents” · trending: 16 upvotes',
      ...sampleVotes('2605.05185'),
    },
    {
      title: 'Stream-R1: Reliability-Perplexity Aware Reward Distillation for Streaming Video Generation',
      url: 'https://huggingface.co/papers/2605.03849',
      authors: 'Bin Wu, Mengqi Huang, Shaojin Wu et al.',
      stats: '▲ 98 upvotes',
      summary:
        "Distillation-based acceleration has become foundational for making autoregressive streaming video diffusion models practical, with distribution matching distillation (DMD) as the de facto choice. Existing methods, however, train the student to match the teacher's output indiscriminately, treating every rollout…",
      links: sampleLinks('2605.03849'),
      why: 'matches “video generation” · trending: 98 upvotes',
      ...sampleVotes('2605.03849'),
    },
  ],
} satisfies DigestEmailProps;

export default DigestEmail;
