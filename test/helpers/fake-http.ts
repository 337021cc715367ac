/**
 * The fake HTTP boundary for tests: MSW intercepts the Worker's outbound fetch() so
 * Resend, Hugging Face and arXiv are answered with payloads shaped like the real APIs,
 * and any request a test did not expect fails loudly instead of leaving the sandbox.
 */
import { setupServer } from 'msw/node';

export const fakeHttp = setupServer();
export { delay, HttpResponse, http } from 'msw';
