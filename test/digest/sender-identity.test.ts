/**
 * The digest footer names who sent it and their postal address (required in commercial
 * email). Operators often write the name into POSTAL_ADDRESS too, so the footer must not
 * say it twice, whatever MAIL_FROM and POSTAL_ADDRESS are; the rendered footer is checked
 * through GET /digest in routes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { senderIdentity } from '../../emails/digest-email';

describe('senderIdentity', () => {
  it.each([
    [
      'Papers Digest',
      'Papers Digest, 1 Example Street, Example City',
      'Papers Digest, 1 Example Street, Example City',
    ],
    ['Acme Research', '5 Main Road, 10115 Berlin', 'Acme Research · 5 Main Road, 10115 Berlin'],
    ['Papers Digest', 'papers digest ltd, 1 Example Street', 'papers digest ltd, 1 Example Street'],
    ['Papers  Digest', 'c/o Papers Digest\u00a0GmbH, Berlin', 'c/o Papers Digest\u00a0GmbH, Berlin'],
    ['Bob', '1 Bobcat Road', 'Bob · 1 Bobcat Road'],
    ['A+B (Labs)', 'A+B (Labs), 2 Side St', 'A+B (Labs), 2 Side St'],
    ['A+B (Labs)', 'AAB Labs, 2 Side St', 'A+B (Labs) · AAB Labs, 2 Side St'],
    ['', '1 Example Street', '1 Example Street'],
    ['Papers Digest', '', 'Papers Digest'],
  ])('senderIdentity(%j, %j) = %j', (name, address, expected) => {
    expect(senderIdentity(name, address)).toBe(expected);
  });
});
