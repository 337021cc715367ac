/**
 * The page around every email we send (the digest and the notices): React Email's Body
 * written out, so the cell inside it can carry what clients need of the page. Gmail drops
 * <body> styles, so the cell carries the page colour, with the page's dark-mode class (a
 * cell left light in dark mode put light text on a light background in Apple Mail and
 * iOS); and it carries the text colour, with its class: Outlook.com's dark mode marks the
 * elements whose text colour it repaints with data-ogsc, and our "[data-ogsc] .pd-x"
 * rules only apply below such a mark, so without a coloured cell around everything none
 * of them did.
 */
import type { ReactNode } from 'react';
import { colors, fontStack } from './theme';

const styles = {
  page: { backgroundColor: colors.page, margin: 0, padding: 0 },
  cell: { backgroundColor: colors.page, color: colors.text, fontFamily: fontStack, margin: 0 },
} as const;

/** `padding` is the space above and below the content, as CSS ('24px 0'). */
export function PageBody({ padding, children }: { padding: string; children: ReactNode }) {
  return (
    <body className="pd-p" style={styles.page}>
      <table border={0} width="100%" cellPadding="0" cellSpacing="0" role="presentation" align="center">
        <tbody>
          <tr>
            <td className="pd-p pd-t" style={{ ...styles.cell, padding }}>
              {children}
            </td>
          </tr>
        </tbody>
      </table>
    </body>
  );
}
