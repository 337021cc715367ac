/**
 * The personalised digest: a header with the edition date and how many papers were picked,
 * one card per paper, and a footer saying why the reader gets it, with preferences,
 * unsubscribe, view-in-browser and feed links and the sender's identity and postal
 * address. 600 px wide, system fonts, readable in dark mode. The delivery pipeline does not
 * render this per subscriber: it renders the layout and every card once per edition and
 * assembles each email from those pieces (src/digest), byte-identical to rendering this
 * component with the same props, which the tests check.
 */
import { Body, Container, Head, Html, Link, Section, Text } from '@react-email/components';
import { PaperCard, type PaperCardProps } from './_components/paper-card';
import { Preheader } from './_components/preheader';
import { colors, darkModeCss, fontStack } from './_components/theme';

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
}

const styles = {
  body: { backgroundColor: colors.page, fontFamily: fontStack, margin: 0, padding: '20px 0' },
  container: { maxWidth: '600px', width: '100%', margin: '0 auto', padding: '0 12px' },
  brand: {
    color: colors.accent,
    fontSize: '14px',
    fontWeight: 700,
    letterSpacing: '0.04em',
    margin: '0 0 4px',
  },
  heading: { color: colors.text, fontSize: '22px', lineHeight: '1.3', fontWeight: 700, margin: '0 0 4px' },
  sub: { color: colors.muted, fontSize: '14px', lineHeight: '1.5', margin: '0 0 16px' },
  header: { padding: '4px 4px 0' },
  footer: { padding: '8px 4px 0' },
  small: { color: colors.muted, fontSize: '12px', lineHeight: '1.55', margin: '0 0 8px' },
  link: { color: colors.accent, textDecoration: 'underline' },
} as const;

export function DigestEmail(props: DigestEmailProps) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <style>{darkModeCss}</style>
      </Head>
      <Body className="pd-page" style={styles.body}>
        <Preheader text={props.preheader} />
        <Container style={styles.container}>
          <Section style={styles.header}>
            <Text style={styles.brand}>
              <Link
                className="pd-link"
                href={props.siteUrl}
                style={{ color: colors.accent, textDecoration: 'none' }}
              >
                {props.senderName}
              </Link>
            </Text>
            <Text className="pd-text" style={styles.heading}>
              {props.editionLabel}
            </Text>
            <Text className="pd-muted" style={styles.sub}>
              {props.countLabel}
              {' · '}
              <Link className="pd-link" href={props.viewInBrowserUrl} style={styles.link}>
                View in browser
              </Link>
            </Text>
          </Section>
          {props.papers.map((paper, position) => (
            // Cards may repeat a title; position keeps keys unique without changing the markup.
            // biome-ignore lint/suspicious/noArrayIndexKey: the list is static for one render
            <PaperCard key={position} {...paper} />
          ))}
          <Section style={styles.footer}>
            <Text className="pd-muted" style={styles.small}>
              You are receiving this because {props.recipientEmail} subscribed to {props.senderName}. Your
              interests: {props.interestsLabel}
            </Text>
            <Text className="pd-muted" style={styles.small}>
              <Link className="pd-link" href={props.preferencesUrl} style={styles.link}>
                Change interests and schedule
              </Link>
              {' · '}
              <Link className="pd-link" href={props.unsubscribeUrl} style={styles.link}>
                Unsubscribe
              </Link>
              {' · '}
              <Link className="pd-link" href={props.viewInBrowserUrl} style={styles.link}>
                View in browser
              </Link>
              {' · '}
              <Link className="pd-link" href={props.feedUrl} style={styles.link}>
                Private Atom feed
              </Link>
            </Text>
            <Text className="pd-muted" style={styles.small}>
              {props.senderName} · {props.postalAddress}
            </Text>
          </Section>
        </Container>
      </Body>
    </Html>
  );
}

const sampleLinks = (id: string) => [
  { label: 'arXiv', href: `https://arxiv.org/abs/${id}` },
  { label: 'PDF', href: `https://arxiv.org/pdf/${id}` },
  { label: 'Code', href: 'https://github.com/example/project' },
  { label: 'Hugging Face', href: `https://huggingface.co/papers/${id}` },
];

DigestEmail.PreviewProps = {
  editionLabel: 'Thursday, 26 November 2026',
  countLabel: '3 papers picked for you',
  preheader: 'Direct Preference Optimization: Your Language Model is Secretly a Reward Model, and 2 more',
  recipientEmail: 'ada@example.org',
  interestsLabel: 'RLHF, vision-language models, author: Chelsea Finn',
  senderName: 'Papers Digest',
  postalAddress: 'Papers Digest, 1 Example Street, Example City',
  siteUrl: 'http://localhost:8787',
  unsubscribeUrl: 'http://localhost:8787/unsubscribe?token=preview',
  preferencesUrl: 'http://localhost:8787/preferences?token=preview',
  viewInBrowserUrl: 'http://localhost:8787/digest?token=preview',
  feedUrl: 'http://localhost:8787/feed?token=preview',
  papers: [
    {
      title: 'Direct Preference Optimization: Your Language Model is Secretly a Reward Model',
      url: 'https://huggingface.co/papers/2305.18290',
      authors: 'Rafael Rafailov, Archit Sharma, Eric Mitchell et al.',
      stats: '▲ 128 upvotes · 14 comments',
      summary:
        'DPO fine-tunes language models on human preference pairs with a simple classification loss, matching or beating PPO-based RLHF without a separate reward model or reinforcement learning.',
      links: sampleLinks('2305.18290'),
      why: 'matches “RLHF” · by Chelsea Finn · trending: 128 upvotes',
      upUrl: 'http://localhost:8787/feedback?token=preview&vote=up',
      downUrl: 'http://localhost:8787/feedback?token=preview&vote=down',
    },
    {
      title: 'LLaVA-KD: A Framework of Distilling Multimodal Large Language Models',
      url: 'https://huggingface.co/papers/2410.16236',
      authors: 'Yuxuan Cai, Jiangning Zhang, Haoyang He et al.',
      stats: '▲ 46 upvotes · 3 comments',
      summary:
        'A three-stage distillation scheme transfers knowledge from a large multimodal LLM to a small one, improving the small model without changing its architecture.',
      links: sampleLinks('2410.16236'),
      why: 'matches “vision-language models”',
      upUrl: 'http://localhost:8787/feedback?token=preview&vote=up',
      downUrl: 'http://localhost:8787/feedback?token=preview&vote=down',
    },
    {
      title: 'A Survey on Mixture of Experts',
      url: 'https://arxiv.org/abs/2407.06204',
      authors: 'Weilin Cai, Juyong Jiang, Fan Wang et al.',
      stats: '▲ 21 upvotes',
      summary:
        'A systematic survey of mixture-of-experts layers for large language models: gating, sparse and dense designs, training systems and open problems.',
      links: sampleLinks('2407.06204').filter((link) => link.label !== 'Code'),
      why: 'trending: 21 upvotes',
      upUrl: 'http://localhost:8787/feedback?token=preview&vote=up',
      downUrl: 'http://localhost:8787/feedback?token=preview&vote=down',
    },
  ],
} satisfies DigestEmailProps;

export default DigestEmail;
