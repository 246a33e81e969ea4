import { html, type SafeHtml } from '../../html.js';
import { type PageContext, page } from './layout.js';

export function loginPage(context: PageContext, email: string, problem: string | null): SafeHtml {
  return page(
    context,
    'Sign in',
    html`<section class="login" aria-labelledby="login-heading">
      <h1 id="login-heading">Sign in</h1>
      ${problem && html`<p class="problem" role="alert" id="login-problem">${problem}</p>`}
      <form method="post" action="/console/login">
        <input type="hidden" name="_csrf" value="${context.csrf}">
        <label for="email">E-mail</label>
        <input type="email" id="email" name="email" autocomplete="username" required value="${email}">
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
      </form>
    </section>`,
  );
}

/** What a refused or failed request shows instead of its page. */
export function problemPage(context: PageContext, message: string): SafeHtml {
  return page(
    context,
    'Could not do that',
    html`<h1>Could not do that</h1><p class="problem" role="alert">${message}</p>
            <p><a href="/console/campaigns">Back to the campaigns</a></p>`,
  );
}
