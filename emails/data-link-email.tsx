/**
 * The short-lived link to download or delete one's data, mailed to the subscriber's
 * address when they ask for it (on their preferences page or at /data). Mailing it, rather
 * than acting on the never-expiring preferences link in every digest, means a forwarded
 * digest cannot hand over or erase the account: only whoever reads this mailbox now can.
 * Deleting still asks for confirmation on the page the link opens.
 */
import { Notice, NoticeText } from './_components/notice';

export interface DataLinkEmailProps {
  kind: 'export' | 'erase';
  actionUrl: string;
  email: string;
  expiresInMinutes: number;
  siteUrl: string;
  postalAddress: string;
}

export function DataLinkEmail(props: DataLinkEmailProps) {
  const exporting = props.kind === 'export';
  return (
    <Notice
      actionUrl={props.actionUrl}
      siteUrl={props.siteUrl}
      postalAddress={props.postalAddress}
      preview={
        exporting
          ? 'Your link to download your Papers Digest data.'
          : 'Your link to delete your Papers Digest data.'
      }
      heading={exporting ? 'Download your data' : 'Delete your data'}
      actionLabel={exporting ? 'Download my data' : 'Review and delete my data'}
      intro={
        <NoticeText>
          {exporting
            ? `Someone, hopefully you, asked for a copy of the data Papers Digest holds about ${props.email}. The button below opens a page where you can download it.`
            : `Someone, hopefully you, asked to delete everything Papers Digest holds about ${props.email}. The button below opens a page that asks you to confirm; nothing is deleted before you do.`}
        </NoticeText>
      }
      outro={
        <NoticeText muted>
          The link works for {props.expiresInMinutes} minutes and only for this address. If you did not ask
          for it, ignore this email: nothing happens.
        </NoticeText>
      }
    />
  );
}

DataLinkEmail.PreviewProps = {
  kind: 'erase',
  actionUrl: 'http://localhost:8787/data/erase?token=preview',
  email: 'ada@example.com',
  expiresInMinutes: 60,
  siteUrl: 'http://localhost:8787',
  postalAddress: 'Papers Digest, 1 Example Street, Example City',
} satisfies DataLinkEmailProps;

export default DataLinkEmail;
