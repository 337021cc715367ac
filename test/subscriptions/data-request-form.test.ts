/**
 * The /data form's choice (download or delete) when a post names neither: the error is
 * tied to the choice for screen readers and linked from the summary, and no choice is
 * shown as made, so one more submit does not send one the person never picked.
 */
import { describe, expect, it } from 'vitest';
import { postForm } from '../helpers/subscribers';

describe('/data with an action the form does not offer', () => {
  it('answers 400 on the choice, with neither option picked for them', async () => {
    const response = await postForm('/data', { email: 'choice@example.com', action: 'everything' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<a href="#action">What would you like to do: ');
    expect(html).toMatch(/<fieldset[^>]*id="action"[^>]*aria-describedby="action-error"/);
    expect(html).toContain('id="action-error"');
    expect(html).not.toMatch(/<input[^>]*name="action"[^>]*checked/);
    expect(html).toContain('value="choice@example.com"');
  });

  it('keeps the choice made when another field is refused', async () => {
    const refused = await postForm('/data', { email: 'not an address', action: 'erase' });
    expect(await refused.text()).toMatch(/<input[^>]*value="erase"[^>]*checked/);
  });
});
