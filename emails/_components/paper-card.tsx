/**
 * One paper in a digest: title linking to the paper page, first authors, upvotes and
 * comments, the AI summary (or a trimmed abstract), links, why it was picked, and 👍/👎.
 * A card depends only on the paper and three per-subscriber strings (why, up and down
 * URLs) and renders the same wherever it sits, which is what lets the digest pipeline
 * render each card once per edition and reuse it for every subscriber.
 *
 * The markup is lean on purpose: a digest holds up to 50 cards and is encoded and sent
 * a hundred times per Resend request. The card is a one-cell table, as every client lays
 * out (React Email's Section, but with the padding on the cell); inside it the title is an
 * <h2> (the digest's date is the <h1>), and plain paragraphs and links carry only the inline
 * styles clients need (colour, size, spacing), and short classes for dark mode.
 */
import { Fragment } from 'react';
import { foldText } from './fold';
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
  /** The 👍/👎 links; empty on a page that may not vote (a feed entry's web view): no links. */
  upUrl: string;
  downUrl: string;
  /**
   * A line above the title. Only the view-in-browser page sets it (a paper withdrawn since
   * the digest was sent); emails never have it, so their cards stay what was prepared.
   */
  notice?: string;
}

/** What the why line starts with; the digest's text part wraps that line whole (src/digest/text-lines.ts). */
export const WHY_PREFIX = 'Why: ';

const styles = {
  card: {
    backgroundColor: colors.card,
    border: `1px solid ${colors.line}`,
    borderRadius: '10px',
    margin: '0 0 14px',
  },
  // On the cell, not the table: Outlook on Windows (Word) ignores padding on a table.
  cell: { padding: '16px 18px' },
  // Its own light background, so it reads the same on the dark-mode card.
  notice: {
    backgroundColor: colors.noticeBackground,
    borderRadius: '6px',
    color: colors.notice,
    fontSize: '13px',
    fontWeight: 600,
    lineHeight: '1.45',
    margin: '0 0 8px',
    padding: '4px 8px',
  },
  // The title is an <h2> under the digest's <h1>: size, weight and spacing inline, so
  // clients' default heading styles (Gmail, Outlook) leave it as it looks everywhere else.
  title: { fontSize: '17px', lineHeight: '1.35', fontWeight: 700, margin: '0 0 4px' },
  titleLink: { color: colors.text, textDecoration: 'none' },
  meta: { color: colors.muted, fontSize: '13px', lineHeight: '1.45', margin: '0 0 2px' },
  summary: { color: colors.text, fontSize: '15px', lineHeight: '1.5', margin: '8px 0' },
  // Rows of links a phone may wrap: 14 px, and wrapped lines 25 px apart (WCAG 2.5.8 asks
  // 24), so a thumb does not hit the link above or below the one it aims at. Muted, with
  // its dark class: the " · " between the links is text of this paragraph, and without a
  // colour it was the client's default black, unreadable on the dark-mode card.
  links: { color: colors.muted, fontSize: '14px', lineHeight: '1.8', margin: '0 0 4px' },
  link: { color: colors.accent },
  why: { color: colors.why, fontSize: '13px', lineHeight: '1.45', margin: '0 0 8px' },
  feedback: { fontSize: '14px', lineHeight: '1.8', margin: 0 },
  vote: { color: colors.accent, textDecoration: 'none' },
} as const;

export function PaperCard(props: PaperCardProps) {
  return (
    <table
      width="100%"
      border={0}
      cellPadding="0"
      cellSpacing="0"
      role="presentation"
      className="pd-c"
      style={styles.card}
    >
      <tbody>
        <tr>
          <td style={styles.cell}>
            {props.notice ? <p style={styles.notice}>{props.notice}</p> : null}
            {/* A paper's own words take their direction from their first letter (dir="auto"):
                an Arabic or Hebrew title or summary reads right to left, aligned right, in
                the English email; the authors are isolated inline, so the stats line below
                them stays as it is. Clients that ignore "auto" (Outlook on Windows) keep
                the email's left-to-right, as before. */}
            <h2 dir="auto" style={styles.title}>
              <a className="pd-t" href={props.url} style={styles.titleLink}>
                {/* On a line of its own, as the summary: after the card's opening tags
                    (~450 bytes), 250 characters of a Japanese title made a line longer
                    than SMTP's 998 bytes. */}
                {`\n${foldText(props.title)}`}
              </a>
            </h2>
            {props.authors || props.stats ? (
              <p className="pd-m" style={styles.meta}>
                {props.authors ? <span dir="auto">{foldText(props.authors)}</span> : null}
                {props.authors && props.stats ? <br /> : null}
                {props.stats || null}
              </p>
            ) : null}
            {props.summary ? (
              <p dir="auto" className="pd-t" style={styles.summary}>
                {/* On a line of its own in the HTML (a newline at the start of a block shows
                    nothing): after its tag, a summary in Chinese or Japanese (320 characters,
                    960 bytes) made a line longer than SMTP's 998 bytes. */}
                {`\n${foldText(props.summary)}`}
              </p>
            ) : null}
            <p className="pd-m" style={styles.links}>
              {props.links.map((link, position) => (
                <Fragment key={link.label}>
                  {/* A newline, not a space, after the dot (it renders as one): each link on a
                      line of its own in the HTML, as a project page's or repository's URL is
                      what its authors typed, and five of them made one line longer than
                      SMTP's 998 bytes. */}
                  {position > 0 ? ' ·\n' : null}
                  <a className="pd-l" href={link.href} style={styles.link}>
                    {link.label}
                  </a>
                </Fragment>
              ))}
            </p>
            <p className="pd-w" style={styles.why}>
              {`${WHY_PREFIX}${foldText(props.why)}`}
            </p>
            {props.upUrl ? (
              <p style={styles.feedback}>
                <a className="pd-l" href={props.upUrl} style={styles.vote}>
                  👍 More like this
                </a>
                {'   '}
                <a className="pd-l" href={props.downUrl} style={styles.vote}>
                  👎 Less like this
                </a>
              </p>
            ) : null}
          </td>
        </tr>
      </tbody>
    </table>
  );
}
