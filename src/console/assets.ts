import { MAX_TARGETS } from '../campaigns/validation.js';

/** The console's stylesheet: plain CSS, readable on a phone and a laptop, with a visible focus ring. */
export const CONSOLE_CSS = `
:root { --ink: #1b1b1b; --muted: #5a5a5a; --line: #d0d0d0; --accent: #0b57d0; --bad: #b3261e; --good: #146c2e; --bg: #fafafa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--bg); }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; background: #111; color: #fff; }
header.top a { color: #fff; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
header.top form { margin-left: auto; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f9a825; outline-offset: 2px; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.table-wrap { overflow-x: auto; }
label { display: block; font-weight: 600; margin-top: .75rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .15rem 0; }
input[type=text], input[type=email], input[type=password], input[type=number], input[type=datetime-local], input[type=time], select, textarea {
  width: 100%; max-width: 40rem; padding: .45rem; font: inherit; border: 1px solid #888; border-radius: 4px; background: #fff; }
textarea { min-height: 6rem; }
button, .button { display: inline-block; padding: .45rem .9rem; font: inherit; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; margin-top: .5rem; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
form.inline { display: inline; }
.error { color: var(--bad); font-weight: 600; margin: .2rem 0; }
.notice { padding: .6rem .8rem; border-left: 4px solid var(--good); background: #eef7ef; margin: .5rem 0 1rem; }
.problem { padding: .6rem .8rem; border-left: 4px solid var(--bad); background: #fbeeee; margin: .5rem 0 1rem; }
.stats { display: flex; flex-wrap: wrap; gap: 1rem; margin: .5rem 0; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .9rem; min-width: 8rem; }
.stat strong { display: block; font-size: 1.6rem; }
.chart svg { width: 100%; max-width: 48rem; height: auto; background: #fff; border: 1px solid var(--line); }
.chart rect { fill: var(--accent); }
.chart text { font-size: 10px; fill: var(--muted); }
.status { font-weight: 600; }
.status-delivered, .status-done, .status-open { color: var(--good); }
.status-failed, .status-partly_failed { color: var(--bad); }
.login { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 1.5rem; border: 1px solid var(--line); border-radius: 8px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
.facts dt { font-weight: 600; } .facts dd { margin: 0; overflow-wrap: anywhere; }
@media print { header.top, .no-print, .banner { display: none; } body { background: #fff; } .receipt section { break-inside: avoid; } }
.token { font-family: monospace; word-break: break-all; background: #fff; border: 1px dashed var(--ink); padding: .5rem; }
@media (max-width: 40rem) { main { padding: .6rem; } th, td { padding: .3rem; font-size: .9rem; } header.top form { margin-left: 0; } }

/* Broadcast confirm step, broadcast page and dashboard (issue 16, part A) */
label.check { font-weight: 400; display: flex; gap: .5rem; align-items: flex-start; max-width: 40rem; }
label.check input { margin-top: .35rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; max-width: 40rem; }
fieldset label { font-weight: 400; }
.confirm-summary { font-size: 1.1rem; margin: 0 0 .5rem; }
.sms-preview { white-space: pre-wrap; overflow-wrap: anywhere; background: #e9e9eb; border-radius: 1rem 1rem 1rem .25rem; padding: .6rem .9rem; max-width: 22rem; font-size: 1rem; }
progress { width: 100%; max-width: 40rem; height: 1.1rem; }
.import-progress progress { display: block; height: 1.6rem; margin: .25rem 0; }
ul.refused { max-height: 24rem; overflow-y: auto; overflow-wrap: anywhere; padding-left: 1.2rem; }
.inline-label { display: inline; font-weight: 400; }
.card-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(24rem, 1fr)); gap: 1rem; margin: .5rem 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; min-width: 0; }
.card h2 { margin: 0 0 .25rem; font-size: 1.15rem; }
.card .stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: .5rem; }
.card .stat { min-width: 0; padding: .35rem .6rem; font-size: .9rem; line-height: 1.25; }
.card .stat strong { font-size: 1.3rem; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: .15rem .75rem; margin: .5rem 0 0; }
.card dt { color: var(--muted); }
.card dd { margin: 0; }
.soon { color: var(--bad); font-weight: 600; }
@media (max-width: 40rem) {
  .card-grid { grid-template-columns: 1fr; }
}

/* --- Campaign desk, part B: signature search, bulk moderation, confirmations, staff forms, tables as cards on a phone --- */
form.search { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin: .5rem 0; }
form.search label { margin-top: 0; }
form.search input[type=search] { width: 100%; max-width: 20rem; padding: .45rem; font: inherit; border: 1px solid #888; border-radius: 4px; }
form.bulk { margin: .5rem 0; }
nav.pages { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; margin: .75rem 0; }
tr:target { outline: 3px solid #f9a825; outline-offset: -3px; background: #fffbe6; }
.confirm { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 8px; padding: .75rem 1rem; max-width: 48rem; }
a.button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
a.button.secondary { background: #fff; color: var(--accent); }
input[type=search] { font: inherit; }
.field-error { color: var(--bad); font-weight: 600; margin: .2rem 0; }
.diff { margin: 0; padding: 0; list-style: none; font-size: .9rem; }
.diff del { color: var(--bad); } .diff ins { color: var(--good); text-decoration: none; }
.diff code, td code { word-break: break-word; white-space: pre-wrap; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; }
form.filters label { margin-top: 0; }
form.filters input, form.filters select { max-width: 14rem; }
@media (max-width: 40rem) {
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.cards tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 .6rem; background: #fff; }
  table.cards td { border-bottom: 1px solid #eee; overflow-wrap: anywhere; }
  table.cards td[data-label]::before { content: attr(data-label); display: block; font-size: .8rem; font-weight: 600; color: var(--muted); }
  table.cards td[data-label=""]::before { content: none; }
  table.cards td:last-child { border-bottom: 0; }
}

/* --- The first morning (issue 27): the campaign form's targets, the campaign as it will be sent --- */
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; padding: 0; margin: 0; }
fieldset.target { margin: 0 0 1rem; }
.understood { font-family: monospace; overflow-wrap: anywhere; }
.error p { margin: .2rem 0; }
.pre { white-space: pre-wrap; }
.letter { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; max-width: 48rem; }
.targets-sent { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: 1rem; margin: .5rem 0 1rem; }
.embed code, .embed textarea { font-family: monospace; font-size: .85rem; overflow-wrap: anywhere; }
.warning { padding: .6rem .8rem; border-left: 4px solid #b26a00; background: #fff4e0; margin: .5rem 0 1rem; }
.fax-page { width: 100%; max-width: 48rem; aspect-ratio: 210 / 297; border: 1px solid var(--line); background: #fff; }
figure.fax-preview { margin: 0 0 1rem; }
/* A fieldset grows to its widest option by default: a long choice would push the select off a phone. */
fieldset { min-width: 0; }
select { text-overflow: ellipsis; }
@media (max-width: 40rem) {
  /* A table shown as cards keeps its caption as a line above them, not a column beside them. */
  table.cards caption { display: block; text-align: left; }
  /* An empty cell says nothing on a card: no label with nothing under it. */
  table.cards td:empty { display: none; }
}
`;

/**
 * Progressive enhancement only: every page works without it. `data-poll` elements refresh their
 * `data-field` (text) and `data-html` (server-rendered, escaped HTML) children from a JSON endpoint until
 * it says `done` (`data-value` children take the number as their value, a <progress> bar's); a textarea
 * with `data-segments` shows its segment count as it is typed (smart encoding as its form's box says,
 * `{receipt}` filled in for the audience chosen).
 */
export const CONSOLE_JS = `
(function () {
  function apply(root, data) {
    var fields = data.fields || {};
    Object.keys(fields).forEach(function (key) {
      root.querySelectorAll('[data-field="' + key + '"]').forEach(function (el) { el.textContent = String(fields[key]); });
      root.querySelectorAll('[data-value="' + key + '"]').forEach(function (el) { el.value = fields[key]; });
    });
    var parts = data.html || {};
    Object.keys(parts).forEach(function (key) {
      root.querySelectorAll('[data-html="' + key + '"]').forEach(function (el) { el.innerHTML = parts[key]; });
    });
  }
  document.querySelectorAll('[data-poll]').forEach(function (root) {
    var url = root.getAttribute('data-poll');
    var every = Number(root.getAttribute('data-every') || '2000');
    function tick() {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return setTimeout(tick, every * 2);
          apply(root, data);
          if (!data.done) setTimeout(tick, every);
        })
        .catch(function () { setTimeout(tick, every * 2); });
    }
    setTimeout(tick, every);
  });
  // A chosen file is sent as it is read from disk (text/csv, streamed into the import), not as a form.
  document.querySelectorAll('form[data-upload]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      var input = form.querySelector('input[type=file]');
      var file = input && input.files && input.files[0];
      if (!file) return;
      event.preventDefault();
      var status = form.querySelector('[data-upload-status]');
      var dry = form.querySelector('input[name=dryRun]');
      var button = form.querySelector('button[type=submit]');
      status.textContent = 'Sending the file…';
      button.disabled = true;
      fetch(form.getAttribute('data-upload') + (dry && dry.checked ? '?dryRun=true' : ''), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'text/csv', 'x-xsrf-token': form.querySelector('input[name=_csrf]').value, accept: 'application/json' },
        body: file
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.location) { window.location.href = data.location; return; }
          status.textContent = data.error ? data.error.message : 'The file could not be sent; try again.';
          button.disabled = false;
        })
        .catch(function () { status.textContent = 'The file could not be sent; reload the page and try again.'; button.disabled = false; });
    });
  });
  document.querySelectorAll('textarea[data-segments]').forEach(function (area) {
    var url = area.getAttribute('data-segments');
    var target = document.getElementById(area.getAttribute('aria-describedby').split(' ')[0]);
    var timer = null;
    var smart = area.form && area.form.querySelector('input[type=checkbox][name=smartEncoding]');
    function count() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var audience = area.form && area.form.querySelector('input[name=audience]:checked');
        var query = '?body=' + encodeURIComponent(area.value) + '&smartEncoding=' + (smart && !smart.checked ? 'off' : 'on') +
          '&audience=' + encodeURIComponent(audience ? audience.value : '');
        fetch(url + query, { credentials: 'same-origin' })
          .then(function (response) { return response.json(); })
          .then(function (data) { apply(target, data); });
      }, 200);
    }
    area.addEventListener('input', count);
    if (smart) smart.addEventListener('change', count);
    // {receipt} is counted as the chosen batch's sentence, as the preview fills it in.
    if (area.form) area.form.querySelectorAll('input[name=audience]').forEach(function (radio) {
      radio.addEventListener('change', count);
    });
  });
  // The campaign form adds and removes targets in place; without the script its buttons redraw the form.
  document.querySelectorAll('form[data-campaign-form]').forEach(function (form) {
    var list = form.querySelector('[data-targets]');
    var template = form.querySelector('template[data-target-template]');
    var count = form.querySelector('[data-target-count]');
    var add = form.querySelector('[data-add-target]');
    if (!list || !template || !count || !add) return;
    function blocks() { return list.querySelectorAll('[data-target]'); }
    function renumber() {
      list.querySelectorAll('[data-target-number]').forEach(function (el, i) { el.textContent = String(i + 1); });
      add.hidden = blocks().length >= ${MAX_TARGETS};
    }
    function addTarget() {
      var index = Number(count.value);
      var holder = document.createElement('div');
      holder.innerHTML = template.innerHTML.split('__index__').join(String(index));
      var block = holder.firstElementChild;
      list.appendChild(block);
      count.value = String(index + 1);
      renumber();
      return block;
    }
    // What the server reads in a fax numbers field, shown under it as it is typed.
    var reading = null;
    form.addEventListener('input', function (event) {
      var area = event.target;
      if (!area.matches || !area.matches('textarea[data-fax-numbers]')) return;
      var shown = document.getElementById(area.id + '-understood');
      clearTimeout(reading);
      reading = setTimeout(function () {
        fetch(area.getAttribute('data-fax-numbers') + '?text=' + encodeURIComponent(area.value), { credentials: 'same-origin' })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data || !shown) return;
            shown.querySelector('[data-understood]').textContent = data.understood.join(', ');
            shown.hidden = data.understood.length === 0;
          });
      }, 250);
    });
    form.addEventListener('click', function (event) {
      var button = event.target.closest && event.target.closest('button');
      if (!button) return;
      if (button.hasAttribute('data-add-target')) {
        event.preventDefault();
        addTarget().querySelector('input').focus();
      } else if (button.hasAttribute('data-remove-target')) {
        event.preventDefault();
        button.closest('[data-target]').remove();
        if (blocks().length === 0) addTarget();
        renumber();
        add.focus();
      }
    });
    renumber();
  });
})();
`;
