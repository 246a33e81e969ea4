/*
 * The console's script. Progressive enhancement only: every page works without it. `data-poll` elements
 * refresh their `data-field` (text) and `data-html` (server-rendered, escaped HTML) children from a JSON
 * endpoint until it says `done` (`data-value` children take the number as their value, a <progress>
 * bar's); a textarea with `data-segments` shows its segment count as it is typed (smart encoding as its
 * form's box says, `{receipt}` filled in for the audience chosen).
 */
(() => {
  // MAX_TARGETS of src/campaigns/validation.ts (test/console/assets.test.ts checks that they agree).
  var MAX_TARGETS = 20;
  function apply(root, data) {
    var fields = data.fields || {};
    Object.keys(fields).forEach((key) => {
      root.querySelectorAll(`[data-field="${key}"]`).forEach((el) => {
        el.textContent = String(fields[key]);
      });
      root.querySelectorAll(`[data-value="${key}"]`).forEach((el) => {
        el.value = fields[key];
      });
    });
    var parts = data.html || {};
    Object.keys(parts).forEach((key) => {
      root.querySelectorAll(`[data-html="${key}"]`).forEach((el) => {
        el.innerHTML = parts[key];
      });
    });
  }
  document.querySelectorAll('[data-poll]').forEach((root) => {
    var url = root.getAttribute('data-poll');
    var every = Number(root.getAttribute('data-every') || '2000');
    function tick() {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then((response) => (response.ok ? response.json() : null))
        .then((data) => {
          if (!data) return setTimeout(tick, every * 2);
          apply(root, data);
          if (!data.done) setTimeout(tick, every);
        })
        .catch(() => {
          setTimeout(tick, every * 2);
        });
    }
    setTimeout(tick, every);
  });
  // A chosen file is sent as it is read from disk (text/csv, streamed into the import), not as a form.
  document.querySelectorAll('form[data-upload]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      var input = form.querySelector('input[type=file]');
      var file = input?.files?.[0];
      if (!file) return;
      event.preventDefault();
      var status = form.querySelector('[data-upload-status]');
      var dry = form.querySelector('input[name=dryRun]');
      var button = form.querySelector('button[type=submit]');
      status.textContent = 'Sending the file…';
      button.disabled = true;
      fetch(form.getAttribute('data-upload') + (dry?.checked ? '?dryRun=true' : ''), {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'content-type': 'text/csv',
          'x-xsrf-token': form.querySelector('input[name=_csrf]').value,
          accept: 'application/json',
        },
        body: file,
      })
        .then((response) => response.json())
        .then((data) => {
          if (data.location) {
            window.location.href = data.location;
            return;
          }
          status.textContent = data.error ? data.error.message : 'The file could not be sent; try again.';
          button.disabled = false;
        })
        .catch(() => {
          status.textContent = 'The file could not be sent; reload the page and try again.';
          button.disabled = false;
        });
    });
  });
  document.querySelectorAll('textarea[data-segments]').forEach((area) => {
    var url = area.getAttribute('data-segments');
    var target = document.getElementById(area.getAttribute('aria-describedby').split(' ')[0]);
    var timer = null;
    var smart = area.form?.querySelector('input[type=checkbox][name=smartEncoding]');
    function count() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        var audience = area.form?.querySelector('input[name=audience]:checked');
        var query =
          '?body=' +
          encodeURIComponent(area.value) +
          '&smartEncoding=' +
          (smart && !smart.checked ? 'off' : 'on') +
          '&audience=' +
          encodeURIComponent(audience ? audience.value : '');
        fetch(url + query, { credentials: 'same-origin' })
          .then((response) => response.json())
          .then((data) => {
            apply(target, data);
          });
      }, 200);
    }
    area.addEventListener('input', count);
    if (smart) smart.addEventListener('change', count);
    // {receipt} is counted as the chosen batch's sentence, as the preview fills it in.
    if (area.form)
      area.form.querySelectorAll('input[name=audience]').forEach((radio) => {
        radio.addEventListener('change', count);
      });
  });
  // The campaign form adds and removes targets in place; without the script its buttons redraw the form.
  document.querySelectorAll('form[data-campaign-form]').forEach((form) => {
    var list = form.querySelector('[data-targets]');
    var template = form.querySelector('template[data-target-template]');
    var count = form.querySelector('[data-target-count]');
    var add = form.querySelector('[data-add-target]');
    if (!list || !template || !count || !add) return;
    function blocks() {
      return list.querySelectorAll('[data-target]');
    }
    function renumber() {
      list.querySelectorAll('[data-target-number]').forEach((el, i) => {
        el.textContent = String(i + 1);
      });
      add.hidden = blocks().length >= MAX_TARGETS;
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
    form.addEventListener('input', (event) => {
      var area = event.target;
      if (!area.matches?.('textarea[data-fax-numbers]')) return;
      var shown = document.getElementById(`${area.id}-understood`);
      clearTimeout(reading);
      reading = setTimeout(() => {
        fetch(`${area.getAttribute('data-fax-numbers')}?text=${encodeURIComponent(area.value)}`, {
          credentials: 'same-origin',
        })
          .then((response) => (response.ok ? response.json() : null))
          .then((data) => {
            if (!data || !shown) return;
            shown.querySelector('[data-understood]').textContent = data.understood.join(', ');
            shown.hidden = data.understood.length === 0;
          });
      }, 250);
    });
    form.addEventListener('click', (event) => {
      var button = event.target.closest?.('button');
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
