/**
 * A one-cell layout table, as React Email's Container and Section, but padded on its cell:
 * Outlook on Windows (Word) ignores padding on a table and pads table cells only, so a
 * padded table showed its text flush against the edges. The digest's container, header
 * and footer and the notice emails' card are all this block.
 */
import type { CSSProperties, ReactNode } from 'react';

export function PaddedBlock(props: {
  className?: string;
  style?: CSSProperties;
  padding: string;
  children: ReactNode;
}) {
  return (
    <table
      align="center"
      width="100%"
      className={props.className}
      border={0}
      cellPadding="0"
      cellSpacing="0"
      role="presentation"
      style={props.style}
    >
      <tbody>
        <tr>
          <td style={{ padding: props.padding }}>{props.children}</td>
        </tr>
      </tbody>
    </table>
  );
}
