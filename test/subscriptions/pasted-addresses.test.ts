/**
 * Addresses as people paste them: copied from a mailto: link, from a mail client's "To"
 * line with the name around it, with spaces (or a non-breaking one) around. What is
 * unambiguous is read; what is not gets a message saying exactly what to change, the
 * pasted text kept in the field.
 */
import { describe, expect, it } from 'vitest';
import { emailProblem, normalizeEmail } from '../../src/subscriptions/schema';
import { emailsTo, postForm, rowOf } from '../helpers/subscribers';

describe('pasted addresses', () => {
  it('reads an address copied from a mailto: link as the address', async () => {
    expect(normalizeEmail('mailto:Pasted@Example.COM')).toBe('Pasted@example.com');
    expect(normalizeEmail(' MAILTO:pasted@example.com ')).toBe('pasted@example.com');
    expect(normalizeEmail('mailto:')).toBeNull();
    expect(normalizeEmail('mailto:pasted@example.com?subject=hi')).toBeNull();
    const response = await postForm('/subscribe', { email: 'mailto:Pasted@Example.COM' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<strong>Pasted@example.com</strong>');
    expect((await rowOf('pasted@example.com'))?.email).toBe('Pasted@example.com');
    expect(await emailsTo('pasted@example.com')).toHaveLength(1);
  });

  it('reads an address with spaces, tabs or non-breaking spaces around it', async () => {
    expect(normalizeEmail('\u00a0 spaced@example.com\t')).toBe('spaced@example.com');
  });

  it('asks for just the address when a name is pasted around it, keeping what was pasted', async () => {
    expect(emailProblem('Jane Doe <jane.doe@example.com>')).toBe('name_and_address');
    expect(emailProblem('"Doe, Jane" <jane.doe@example.com>')).toBe('name_and_address');
    expect(emailProblem('<jane.doe@example.com>')).toBe('name_and_address');
    expect(emailProblem('Jane <not an address>')).toBe('invalid');
    const response = await postForm('/subscribe', { email: 'Jane Doe <jane.doe@example.com>' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain(
      'Enter just the email address, like jane.doe@example.com, without the name around it.',
    );
    expect(html).toContain('value="Jane Doe &lt;jane.doe@example.com&gt;"');
    expect(await rowOf('jane.doe@example.com')).toBeNull();
  });
});
