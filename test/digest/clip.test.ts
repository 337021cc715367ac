/**
 * Gmail hides everything of an email past ~102 KB behind "[Message clipped]", footer and
 * unsubscribe link included, and it counts the message as it arrives: the HTML as the
 * sending MTA encoded it. Resend sends HTML as quoted-printable, in which every "=" (one
 * per attribute) is three bytes, and every byte of UTF-8 past ASCII is three (a Chinese
 * character nine). This builds the largest digest a subscriber can get (50 papers, titles
 * and summaries as long as a card shows them, in Chinese, every link, long why lines),
 * encodes its HTML with a plain RFC 2045 encoder written here, and checks what is sent.
 */
import { describe, expect, it } from 'vitest';
import { sentHtmlBytes } from '../../src/digest/fit';
import type { Paper, Subscriber } from '../../src/domain';
import { makeSubscriber, snapshotPapers } from '../factories';
import { checkedDigest, longPapers } from './sample';

/** Gmail's clip: 102 KB. */
const GMAIL_CLIP_BYTES = 102 * 1024;

/** `text` encoded as quoted-printable (RFC 2045 6.7): lines of at most 76, CRLF, "=" soft breaks. */
function quotedPrintable(text: string): string {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const out: string[] = [];
    const bytes = new TextEncoder().encode(line);
    let current = '';
    bytes.forEach((byte, index) => {
      const last = index === bytes.length - 1;
      const plain = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
      const unit = plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      if (current.length + unit.length > 75) {
        out.push(`${current}=\r\n`);
        current = '';
      }
      current += unit;
    });
    lines.push(out.join('') + current);
  }
  return lines.join('\r\n');
}

const decodeQuotedPrintable = (encoded: string): string => {
  const joined = encoded.replace(/=\r\n/g, '').replace(/\r\n/g, '\n');
  const bytes: number[] = [];
  for (let index = 0; index < joined.length; index++) {
    if (joined[index] === '=') {
      bytes.push(Number.parseInt(joined.slice(index + 1, index + 3), 16));
      index += 2;
    } else bytes.push(joined.charCodeAt(index));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
};

/** Fifty papers as long as a card shows them, in Chinese, with every link a claimant may add. */
function largestPapers(): Paper[] {
  const chinese = '基于大语言模型的多模态推理与规划方法研究';
  return snapshotPapers()
    .slice(0, 50)
    .map((paper, position) => ({
      ...paper,
      title: `${chinese.repeat(16)}${position}`,
      abstract: `${chinese.repeat(20)}。`,
      aiSummary: `${chinese.repeat(20)}，${chinese.repeat(2)}。`,
      authors: [
        '欧阳 明轩 (Ouyang Mingxuan)',
        '司马 文静 (Sima Wenjing)',
        '诸葛 晓东 (Zhuge Xiaodong)',
        '李 小龙',
      ],
      upvotes: 1234,
      numComments: 56,
      githubStars: 12_345,
      links: {
        ...paper.links,
        code: `https://github.com/an-organisation/${'a-long-repository-name-'.repeat(12)}${position}`,
        project: `https://example.org/${'p=1&'.repeat(60)}${position}`,
      },
    }));
}

/**
 * The digest of `papers` for `reader` through the fast path, its HTML as sent checked:
 * under Gmail's clip, and cut where the React render cuts the same ranked list.
 */
async function sentDigest(papers: Paper[], reader: Subscriber, why: string[]) {
  const email = await checkedDigest(papers, reader, why);
  const sent = quotedPrintable(email.html);
  expect(decodeQuotedPrintable(sent)).toBe(email.html);
  expect(sent.length).toBeLessThanOrEqual(sentHtmlBytes(email.html));
  expect(sent.length).toBeLessThanOrEqual(GMAIL_CLIP_BYTES);
  // The footer and its unsubscribe link are in what Gmail shows.
  expect(email.html).toContain('>Unsubscribe</a>');
  return email;
}

describe('the largest digest, as sent (quoted-printable), is not clipped by Gmail', () => {
  it('50 papers of Chinese titles and summaries: the papers that fit, and the footer', async () => {
    const reader = makeSubscriber({
      id: 'largest-reader',
      email: `${'k'.repeat(64)}@${'mail.'.repeat(30)}example.cn`,
      interests: Array.from({ length: 30 }, (_, n) => `大规模语言模型的推理与评估${n}`).join(', '),
      digestSize: 50,
    });
    const email = await sentDigest(largestPapers(), reader, [
      'matches “大规模语言模型的推理与评估 = 多模态”',
      'by 欧阳 明轩 (Ouyang Mingxuan)',
      'trending: 1234 upvotes',
    ]);
    // Its UTF-8 was under 100 KB with 19 papers, and 187 KB as sent.
    expect(email.papers).toBeGreaterThanOrEqual(5);
    expect(email.papers).toBeLessThan(19);
  });

  it('50 papers in English with every link: the papers that fit', async () => {
    // Mostly ASCII, but an "=" in every attribute and in every link's query: as sent it
    // is a fifth larger than its UTF-8.
    const reader = makeSubscriber({ id: 'english-reader', digestSize: 50 });
    const email = await sentDigest(longPapers(50), reader, ['trending']);
    expect(email.papers).toBeGreaterThan(20);
    expect(email.papers).toBeLessThan(50);
  });
});
