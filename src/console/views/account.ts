import { html, type SafeHtml } from '../../html.js';
import { csrfField, type PageContext, page } from './layout.js';

/** A form's problem: the field it is beside (`form` for the whole form) and what to do. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The page a one-time link opens: the person chooses their password, and is signed in. */
export function passwordLinkPage(
  context: PageContext,
  token: string,
  link: { email: string; purpose: string } | null,
  problem: FieldProblem | null,
  minLength: number,
): SafeHtml {
  const title = link?.purpose === 'invite' ? 'Welcome: choose your password' : 'Choose a new password';
  const problemFor = (name: string) =>
    problem?.field === name ? html`<p class="field-error" id="${name}-error">${problem.message}</p>` : null;
  return page(
    context,
    link ? title : 'This link no longer works',
    link
      ? html`<section class="login" aria-labelledby="password-heading">
        <h1 id="password-heading">${title}</h1>
        <p>For <strong>${link.email}</strong>. At least ${minLength} characters; a few unrelated words make
          a good one.</p>
        ${problem?.field === 'form' && html`<p class="problem" role="alert">${problem.message}</p>`}
        <form method="post" action="/console/password/${token}" novalidate>${csrfField(context)}
          <input type="text" name="username" autocomplete="username" value="${link.email}" hidden>
          <label for="password">New password</label>${problemFor('password')}
          <input type="password" id="password" name="password" autocomplete="new-password" required
            minlength="${minLength}"
            ${
              problem?.field === 'password'
                ? html`aria-invalid="true" aria-describedby="password-error"`
                : null
            }>
          <label for="repeat">The same again</label>${problemFor('repeat')}
          <input type="password" id="repeat" name="repeat" autocomplete="new-password" required
            ${problem?.field === 'repeat' ? html`aria-invalid="true" aria-describedby="repeat-error"` : null}>
          <button type="submit">Set my password and sign in</button>
        </form></section>`
      : html`<h1>This link no longer works</h1><p class="problem"
          role="alert">${problem?.message ?? ''}</p><p><a href="/console/login">Sign in</a></p>`,
  );
}

export function accountPage(
  context: PageContext,
  notice: SafeHtml | null,
  problem: FieldProblem | null,
  minLength: number,
): SafeHtml {
  const problemFor = (name: string) =>
    problem?.field === name ? html`<p class="field-error" id="${name}-error">${problem.message}</p>` : null;
  const invalid = (name: string) =>
    problem?.field === name ? html`aria-invalid="true" aria-describedby="${name}-error"` : null;
  return page(
    context,
    'Your account',
    html`<h1>Your account</h1>${notice}
      <p>Signed in as <strong>${context.staff?.email ?? ''}</strong> (${context.staff?.role ?? ''}).</p>
      <h2>Change your password</h2>
      <p class="hint">Changing it signs you out everywhere else.</p>
      <form method="post" action="/console/account/password" novalidate>${csrfField(context)}
        <input type="text" name="username" autocomplete="username" value="${context.staff?.email ?? ''}"
          hidden>
        <label for="current">Current password</label>${problemFor('current')}
        <input type="password" id="current" name="current" autocomplete="current-password" required
          ${invalid('current')}>
        <label for="password">New password</label><p class="hint" id="password-hint">At least ${minLength}
          characters.</p>${problemFor('password')}
        <input type="password" id="password" name="password" autocomplete="new-password" required
          ${invalid('password')}>
        <label for="repeat">The new password again</label>${problemFor('repeat')}
        <input type="password" id="repeat" name="repeat" autocomplete="new-password" required
          ${invalid('repeat')}>
        <button type="submit">Change my password</button>
      </form>`,
  );
}
