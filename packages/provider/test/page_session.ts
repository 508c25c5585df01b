// A browser's worth of cookies, kept by hand for fetch: logs in and posts the pages' forms.
import assert from 'node:assert/strict';

export const PAGE_PASSWORD = 'a long enough password';

/** One person's browser: cookies, CSRF tokens, no redirects followed. */
export class PageSession {
  readonly #cookies = new Map<string, string>();

  async request(url: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  csrfOf(html: string): string {
    const m = /name="csrf" value="([^"]+)"/.exec(html);
    assert.ok(m, 'the page has a CSRF token');
    return m[1]!;
  }

  async login(base: string, user: string, password = PAGE_PASSWORD): Promise<void> {
    const page = await this.request(`${base}/login`);
    const body = new URLSearchParams({
      csrf: this.csrfOf(page.text),
      username: user,
      password,
      next: '/',
    });
    const res = await this.request(`${base}/login`, { method: 'POST', body });
    assert.equal(res.status, 303, res.text);
  }

  /**
   * Opens the authorization page at `path` (with its query) and, when it shows the buttons,
   * posts the form with `choice` (`permission` or `duration` fields) as a person would.
   */
  async decide(base: string, path: string, choice: Record<string, string>) {
    const shown = await this.request(`${base}${path}`);
    if (shown.status !== 200) return { shown, posted: undefined };
    const action = /<form method="post" action="([^"]+)" class="levels">/.exec(shown.text)?.[1];
    assert.ok(action, 'the page has the decision form');
    const start = shown.text.indexOf('class="levels">');
    const inForm = shown.text.slice(start, shown.text.indexOf('</form>', start));
    const fields = new URLSearchParams();
    for (const m of inForm.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields.append(m[1]!, unescapeHtml(m[2]!));
    }
    for (const [k, v] of Object.entries(choice)) fields.set(k, v);
    const posted = await this.request(`${base}${action}`, { method: 'POST', body: fields });
    return { shown, posted };
  }
}

function unescapeHtml(s: string): string {
  return s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
