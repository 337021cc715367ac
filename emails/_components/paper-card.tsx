/**
 * One paper in a digest: title linking to the paper page, first authors, upvotes and
 * comments, the AI summary (or a trimmed abstract), links, why it was picked, and 👍/👎.
 * A card depends only on the paper and three per-subscriber strings (why, up and down
 * URLs) and renders the same wherever it sits, which is what lets the digest pipeline
 * render each card once per edition and reuse it for every subscriber.
 */
import { Link, Section, Text } from '@react-email/components';
import { Fragment } from 'react';
import { colors } from './theme';

export interface PaperCardProps {
  title: string;
  url: string;
  /** "Ada Lovelace, Alan Turing, Grace Hopper et al." */
  authors: string;
  /** "▲ 120 upvotes · 14 comments", or empty. */
  stats: string;
  summary: string;
  links: { label: string; href: string }[];
  /** Why this paper was picked for this subscriber. */
  why: string;
  upUrl: string;
  downUrl: string;
}

const styles = {
  card: {
    backgroundColor: colors.card,
    border: `1px solid ${colors.line}`,
    borderRadius: '10px',
    margin: '0 0 14px',
    padding: '16px 18px',
  },
  title: { fontSize: '17px', lineHeight: '1.35', fontWeight: 700, margin: '0 0 4px' },
  titleLink: { color: colors.text, textDecoration: 'none' },
  meta: { color: colors.muted, fontSize: '13px', lineHeight: '1.45', margin: '0 0 2px' },
  summary: { color: colors.text, fontSize: '15px', lineHeight: '1.5', margin: '8px 0' },
  links: { fontSize: '13px', lineHeight: '1.5', margin: '0 0 4px' },
  link: { color: colors.accent, textDecoration: 'underline' },
  why: { color: colors.why, fontSize: '13px', lineHeight: '1.45', margin: '0 0 8px' },
  feedback: { fontSize: '14px', lineHeight: '1.5', margin: 0 },
  vote: { color: colors.accent, textDecoration: 'none' },
} as const;

export function PaperCard(props: PaperCardProps) {
  return (
    <Section className="pd-card" style={styles.card}>
      <Text style={styles.title}>
        <Link className="pd-text" href={props.url} style={styles.titleLink}>
          {props.title}
        </Link>
      </Text>
      {props.authors ? (
        <Text className="pd-muted" style={styles.meta}>
          {props.authors}
        </Text>
      ) : null}
      {props.stats ? (
        <Text className="pd-muted" style={styles.meta}>
          {props.stats}
        </Text>
      ) : null}
      {props.summary ? (
        <Text className="pd-text" style={styles.summary}>
          {props.summary}
        </Text>
      ) : null}
      <Text style={styles.links}>
        {props.links.map((link, position) => (
          <Fragment key={link.label}>
            {position > 0 ? ' · ' : null}
            <Link className="pd-link" href={link.href} style={styles.link}>
              {link.label}
            </Link>
          </Fragment>
        ))}
      </Text>
      <Text className="pd-why" style={styles.why}>
        Why: {props.why}
      </Text>
      <Text style={styles.feedback}>
        <Link className="pd-link" href={props.upUrl} style={styles.vote} title="More papers like this">
          👍 More like this
        </Link>
        {'   '}
        <Link className="pd-link" href={props.downUrl} style={styles.vote} title="Fewer papers like this">
          👎 Less like this
        </Link>
      </Text>
    </Section>
  );
}
