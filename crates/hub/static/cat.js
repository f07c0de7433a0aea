// Qiantang localization pages: the CAT editor and live job progress.
// Progressive: the pages render and read without this script; it adds
// in-place editing through the JSON API (/api/v1/l10n), keyboard shortcuts,
// the segment side panel, filters and job polling. No dependencies.
(function () {
  'use strict';

  var API = '/api/v1/l10n';
  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.getAttribute('content') : '';

  function readJson(id) {
    var n = document.getElementById(id);
    if (!n) return null;
    try { return JSON.parse(n.textContent); } catch (e) { return null; }
  }

  var I18N = readJson('cat-i18n') || {};
  function t(id, args) {
    var s = Object.prototype.hasOwnProperty.call(I18N, id) ? I18N[id] : id;
    if (args) {
      Object.keys(args).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    }
    return s;
  }

  // h('tag.class1.class2', {attr: value, text: '…', on: {click: fn}}, [children])
  function h(spec, attrs, children) {
    var parts = spec.split('.');
    var n = document.createElement(parts[0] || 'div');
    for (var i = 1; i < parts.length; i++) if (parts[i]) n.classList.add(parts[i]);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') n.textContent = v;
        else if (k === 'on') Object.keys(v).forEach(function (ev) { n.addEventListener(ev, v[ev]); });
        else if (k === 'dataset') Object.keys(v).forEach(function (d) { n.dataset[d] = v[d]; });
        else n.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return n;
  }

  // Calls the JSON API; rejects with an Error carrying `status` and `code`.
  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = CSRF;
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var msg = data && data.error && data.error.message ? data.error.message : (r.status + ' ' + r.statusText);
          var err = new Error(msg);
          err.status = r.status;
          err.code = data && data.error ? data.error.code : '';
          throw err;
        }
        return data;
      });
    }, function (e) {
      var err = new Error(String(e && e.message ? e.message : e));
      err.status = 0;
      throw err;
    });
  }

  function fmtTime(ms) {
    try { return new Date(ms).toLocaleString(); } catch (e) { return String(ms); }
  }

  // ------------------------------------------------------------------
  // Job progress on the project page: poll every 2 s while a job runs.

  var FINAL = ['done', 'failed', 'cancelled'];

  function initJobs() {
    var rows = document.querySelectorAll('tr.job[data-job-poll]');
    Array.prototype.forEach.call(rows, function (row) {
      var id = row.dataset.job;
      var timer = setInterval(function () {
        api('GET', API + '/jobs/' + id).then(function (j) {
          row.dataset.state = j.state;
          var st = row.querySelector('.job-state');
          if (st) st.textContent = t('job-state-' + j.state);
          var bar = row.querySelector('progress');
          if (bar) { bar.max = Math.max(1, j.total); bar.value = j.done; }
          var count = row.querySelector('.job-count');
          if (count) count.textContent = j.done + ' / ' + j.total;
          var err = row.querySelector('.job-error');
          if (err) err.textContent = j.error || '';
          if (FINAL.indexOf(j.state) >= 0) {
            clearInterval(timer);
            row.removeAttribute('data-job-poll');
            var cancel = row.querySelector('form.job-cancel');
            if (cancel) cancel.remove();
            var notice = document.querySelector('.job-notice');
            if (notice) {
              notice.textContent = '';
              notice.appendChild(h('a', { href: window.location.pathname + '#chapters', text: t('cat-js-job-done'),
                on: { click: function (e) { e.preventDefault(); window.location.reload(); } } }));
            }
          }
        }, function (e) {
          var err = row.querySelector('.job-error');
          if (err) err.textContent = t('cat-js-error', { error: e.message });
          if (e.status && e.status < 500 && e.status !== 429) clearInterval(timer);
        });
      }, 2000);
    });
  }

  // ------------------------------------------------------------------
  // The CAT editor.

  var STATES = ['new', 'draft', 'translated', 'reviewed', 'approved'];
  function rank(state) { return STATES.indexOf(state); }

  function tmScore(origin) {
    var m = /^tm (\d+)/.exec(origin || '');
    return m ? parseInt(m[1], 10) : null;
  }

  var FILTERS = {
    all: function () { return true; },
    untranslated: function (s) { return s.state === 'new' || s.state === 'draft'; },
    qa: function (s) { return (s.findings || []).length > 0; },
    fuzzy: function (s) { var n = tmScore(s.origin); return n !== null && n < 100; },
    approved: function (s) { return s.state === 'approved'; }
  };

  function initEditor() {
    var root = document.getElementById('cat');
    var data = readJson('cat-data');
    if (!root || !data) return;
    var segs = data.segments;
    var locale = data.locale;
    var canTranslate = root.dataset.canTranslate === 'true';
    var canReview = root.dataset.canReview === 'true';
    var rows = Array.prototype.slice.call(root.querySelectorAll('tr.seg'));
    var panel = document.getElementById('cat-panel');
    var status = document.getElementById('cat-status');
    var backendSel = document.getElementById('cat-backend');
    var toolbar = root.querySelector('.cat-toolbar');
    var inputs = [];
    var msgs = [];
    var busy = {};
    var active = -1;
    var filter = 'all';
    var tmStale = false;
    var refreshing = null;

    if (backendSel && data.mt_backend) backendSel.value = data.mt_backend;
    if (toolbar) toolbar.hidden = false;
    panel.hidden = false;
    root.classList.add('js');

    function say(text, kind) {
      status.textContent = text;
      status.className = 'cat-status' + (kind ? ' ' + kind : '');
    }

    function editable(s) {
      return canTranslate && (s.state !== 'approved' || canReview);
    }

    function dirty(i) {
      return inputs[i].value !== (segs[i].target || '');
    }

    function autosize(ta) {
      ta.style.height = 'auto';
      ta.style.height = (ta.scrollHeight + 2) + 'px';
    }

    // Row message (errors, conflicts): role=alert so screen readers hear it.
    function rowMsg(i, nodes, kind) {
      var box = msgs[i];
      box.textContent = '';
      box.className = 'row-msg' + (kind ? ' ' + kind : '');
      if (!nodes || !nodes.length) { box.hidden = true; return; }
      nodes.forEach(function (n) { box.appendChild(typeof n === 'string' ? document.createTextNode(n) : n); });
      box.hidden = false;
    }

    function showError(i, e) {
      var text = t('cat-js-error', { error: e.message });
      if (i >= 0) rowMsg(i, [text], 'error');
      say(text, 'error');
    }

    // --- rows ---------------------------------------------------------

    rows.forEach(function (row, i) {
      var s = segs[i];
      var cell = row.querySelector('td.tgt');
      var old = cell.querySelector('.tgt-text');
      var ta = h('textarea.tgt-input', {
        rows: 2, lang: locale, spellcheck: 'true',
        'aria-label': t('cat-js-target-label', { key: s.key })
      });
      ta.value = s.target || '';
      if (old) old.remove();
      var msg = h('div.row-msg', { role: 'alert', hidden: true });
      cell.appendChild(ta);
      cell.appendChild(msg);
      inputs.push(ta);
      msgs.push(msg);
      ta.addEventListener('focus', function () { activate(i); });
      ta.addEventListener('input', function () {
        row.classList.toggle('dirty', dirty(i));
        autosize(ta);
      });
      row.addEventListener('click', function (e) {
        if (e.target.closest('a, button, textarea')) return;
        inputs[i].focus();
      });
      renderRow(i);
    });
    // Size after layout.
    requestAnimationFrame(function () { inputs.forEach(autosize); });

    function renderRow(i) {
      var s = segs[i], row = rows[i], ta = inputs[i];
      row.dataset.state = s.state;
      row.dataset.version = s.version;
      var badge = row.querySelector('.badge');
      badge.className = 'badge state-' + s.state;
      badge.textContent = t('seg-state-' + s.state);
      row.querySelector('.origin').textContent = s.origin || '';
      var meta = row.querySelector('td.meta');
      var flag = meta.querySelector('.qa-flag');
      var n = (s.findings || []).length;
      if (n && !flag) { flag = h('span.qa-flag'); meta.appendChild(document.createTextNode(' ')); meta.appendChild(flag); }
      if (flag) { flag.textContent = n ? '⚠ ' + n : ''; flag.hidden = !n; flag.title = t('cat-js-qa'); }
      ta.readOnly = !editable(s);
      ta.title = ta.readOnly && canTranslate ? t('cat-js-readonly') : '';
      row.classList.toggle('dirty', dirty(i));
    }

    // --- filters --------------------------------------------------------

    function applyFilter() {
      var pred = FILTERS[filter] || FILTERS.all;
      rows.forEach(function (row, i) { row.hidden = !pred(segs[i]) && i !== active; });
      Object.keys(FILTERS).forEach(function (f) {
        var c = root.querySelector('.count[data-count="' + f + '"]');
        if (c) c.textContent = '(' + segs.filter(FILTERS[f]).length + ')';
      });
    }
    Array.prototype.forEach.call(root.querySelectorAll('input[name="cat-filter"]'), function (r) {
      r.addEventListener('change', function () {
        if (!r.checked) return;
        filter = r.value;
        var keep = active;
        active = -1;
        applyFilter();
        active = keep;
        if (active >= 0 && rows[active].hidden) {
          rows[active].classList.remove('active');
          active = -1;
          renderPanel();
        }
      });
    });
    applyFilter();

    // --- navigation -------------------------------------------------------

    function activate(i) {
      if (i === active) return;
      var prev = active;
      if (prev >= 0) {
        rows[prev].classList.remove('active');
        rows[prev].removeAttribute('aria-current');
      }
      active = i;
      rows[i].classList.add('active');
      rows[i].setAttribute('aria-current', 'true');
      if (prev >= 0 && filter !== 'all') applyFilter();
      renderPanel();
      if (tmStale) refreshChapter(null);
    }

    function move(delta) {
      for (var j = active + delta; j >= 0 && j < rows.length; j += delta) {
        if (!rows[j].hidden) {
          inputs[j].focus();
          rows[j].scrollIntoView({ block: 'nearest' });
          return true;
        }
      }
      return false;
    }

    // --- saving -----------------------------------------------------------

    function save(i, state, advance) {
      var s = segs[i];
      if (busy[i]) return Promise.resolve(false);
      if (!editable(s)) {
        say(t(canTranslate ? 'cat-js-readonly' : 'cat-js-need-translate'), 'error');
        return Promise.resolve(false);
      }
      var target = inputs[i].value;
      if (rank(state) > rank('draft') && !target.trim()) {
        rowMsg(i, [t('cat-js-empty')], 'error');
        say(t('cat-js-empty'), 'error');
        return Promise.resolve(false);
      }
      if ((state === 'reviewed' || state === 'approved') && !canReview) {
        say(t('cat-js-need-review'), 'error');
        return Promise.resolve(false);
      }
      busy[i] = true;
      rows[i].classList.add('saving');
      say(t('cat-js-saving', { key: s.key }));
      return api('PUT', API + '/segments/' + s.id, { version: s.version, target: target, state: state })
        .then(function (r) {
          Object.keys(r.segment).forEach(function (k) { s[k] = r.segment[k]; });
          s.findings = r.findings || [];
          tmStale = true;
          if (inputs[i].value === target) inputs[i].value = s.target || '';
          renderRow(i);
          rowMsg(i, null);
          say(t('cat-js-saved', { key: s.key, state: t('seg-state-' + s.state) }), 'ok');
          if (i === active) {
            refreshPanel(['head', 'actions', 'tm', 'terms', 'qa']);
            if (parts && parts.history.open) parts.loadHistory();
          }
          applyFilter();
          if (advance) move(1);
          return true;
        }, function (e) {
          if (e.status === 409) conflict(i, target, e);
          else showError(i, e);
          return false;
        })
        .then(function (ok) {
          busy[i] = false;
          rows[i].classList.remove('saving');
          return ok;
        });
    }

    function conflict(i, mine, e) {
      var s = segs[i];
      var btn = h('button.reload', { type: 'button', text: t('cat-js-reload') });
      btn.addEventListener('click', function () {
        btn.disabled = true;
        refreshChapter(s.id).then(function () {
          var use = h('button.secondary', { type: 'button', text: t('cat-js-use-mine') });
          use.addEventListener('click', function () {
            inputs[i].value = mine;
            rows[i].classList.toggle('dirty', dirty(i));
            autosize(inputs[i]);
            rowMsg(i, null);
            inputs[i].focus();
          });
          rowMsg(i, [t('cat-js-reloaded', { key: s.key }), ' ', h('q', { lang: locale, text: mine }), ' ', use], 'conflict');
          say(t('cat-js-reloaded', { key: s.key }));
        }, function (err) {
          btn.disabled = false;
          showError(i, err);
        });
      });
      rowMsg(i, [t('cat-js-conflict', { key: s.key, error: e.message }), ' ', btn], 'conflict');
      say(t('cat-js-conflict', { key: s.key, error: e.message }), 'error');
    }

    // Reloads the chapter from the API. `onlyId`: take everything of that
    // segment (after a conflict); otherwise refresh TM matches everywhere and
    // segments changed elsewhere that have no unsaved edits here.
    function refreshChapter(onlyId) {
      if (refreshing && onlyId === null) return refreshing;
      tmStale = false;
      var p = api('GET', API + '/projects/' + data.project + '/chapters/' + data.chapter).then(function (v) {
        var fresh = {};
        v.segments.forEach(function (x) { fresh[x.id] = x; });
        segs.forEach(function (s, i) {
          var f = fresh[s.id];
          if (!f) return;
          var take = s.id === onlyId || (f.version !== s.version && !dirty(i));
          if (take) {
            Object.keys(f).forEach(function (k) { s[k] = f[k]; });
            inputs[i].value = s.target || '';
            autosize(inputs[i]);
            renderRow(i);
          } else {
            s.matches = f.matches;
            s.comments = f.comments;
          }
        });
        applyFilter();
        refreshPanel(['head', 'actions', 'tm', 'terms', 'qa', 'comments']);
      });
      p.then(function () { refreshing = null; }, function (e) { refreshing = null; tmStale = true; say(t('cat-js-error', { error: e.message }), 'error'); });
      if (onlyId === null) refreshing = p;
      return p;
    }

    function machineTranslate(i) {
      var s = segs[i];
      if (!editable(s)) { say(t('cat-js-readonly'), 'error'); return; }
      var backend = backendSel ? backendSel.value : '';
      say(t('cat-js-mt-busy'));
      api('POST', API + '/segments/' + s.id + '/mt', backend ? { backend: backend } : {}).then(function (r) {
        inputs[i].value = r.text;
        rows[i].classList.toggle('dirty', dirty(i));
        autosize(inputs[i]);
        var applied = (r.applied || []).join('; ');
        say(t('cat-js-mt-done', { backend: r.backend }) + (applied ? ' ' + applied : ''), 'ok');
        if (i === active) inputs[i].focus();
      }, function (e) { showError(i, e); });
    }

    function insertMatch(i, n) {
      var m = (segs[i].matches || [])[n];
      if (!m || !editable(segs[i])) return;
      inputs[i].value = m.target;
      rows[i].classList.toggle('dirty', dirty(i));
      autosize(inputs[i]);
      inputs[i].focus();
      say(t('cat-js-insert') + ': ' + m.score + '%');
    }

    function insertText(i, text) {
      var ta = inputs[i];
      if (ta.readOnly) return;
      ta.focus();
      var a = ta.selectionStart, b = ta.selectionEnd;
      ta.setRangeText(text, a, b, 'end');
      rows[i].classList.toggle('dirty', dirty(i));
      autosize(ta);
    }

    // --- side panel -------------------------------------------------------

    function section(cls, title, body) {
      return h('section.' + cls, null, [h('h3', { text: title })].concat(body));
    }

    function diffNodes(ops) {
      return (ops || []).map(function (d) {
        if (d.op === 'insert') return h('ins.diff-ins', { text: d.text });
        if (d.op === 'delete') return h('del.diff-del', { text: d.text });
        return document.createTextNode(d.text);
      });
    }

    // The panel is built per active segment; its parts are refilled on their
    // own (a TM refresh must not wipe a comment being typed).
    var parts = null;

    function renderPanel() {
      panel.textContent = '';
      parts = null;
      if (active < 0) return;
      var i = active;
      parts = {
        index: i,
        head: h('div.panel-head'),
        actions: h('div.actions', { role: 'group' }),
        tm: h('section.tm'),
        terms: h('section.terms'),
        qa: h('section.qa'),
        comments: h('div.comments-list')
      };
      panel.appendChild(parts.head);
      panel.appendChild(parts.actions);
      panel.appendChild(parts.tm);
      panel.appendChild(parts.terms);
      panel.appendChild(parts.qa);
      var cs = h('section.comments', null, [h('h3', { text: t('cat-js-comments') }), parts.comments]);
      if (canTranslate) cs.appendChild(commentForm(i));
      panel.appendChild(cs);
      parts.history = historyPart(i);
      parts.loadHistory = parts.history.load;
      panel.appendChild(parts.history);
      refreshPanel(['head', 'actions', 'tm', 'terms', 'qa', 'comments']);
    }

    function refreshPanel(names) {
      if (!parts || parts.index !== active) return;
      var i = active, s = segs[i];
      var ed = editable(s);
      names.forEach(function (name) {
        var box = parts[name];
        box.textContent = '';
        var fill = PARTS[name];
        fill(box, i, s, ed);
      });
    }

    function fillBox(box, nodes) {
      nodes.forEach(function (n) { if (n) box.appendChild(typeof n === 'string' ? document.createTextNode(n) : n); });
    }

    var PARTS = {
      head: function (box, i, s) {
        fillBox(box, [
          h('h2', { text: t('cat-js-segment', { key: s.key }) }),
          h('span.badge.state-' + s.state, { text: t('seg-state-' + s.state) }),
          s.origin ? h('span.origin', { text: ' ' + s.origin }) : null
        ]);
      },
      actions: function (box, i, s, ed) {
        box.setAttribute('aria-label', t('cat-js-segment', { key: s.key }));
        function act(label, state, cls) {
          box.appendChild(h('button.' + (cls || 'state'), {
            type: 'button', text: label, disabled: !ed, dataset: { state: state },
            on: { click: function () { save(i, state, false); } }
          }));
        }
        if (canTranslate) {
          act(t('cat-js-save-draft'), 'draft', 'secondary');
          act(t('cat-js-save-translated'), 'translated');
        }
        if (canReview) {
          act(t('cat-js-save-reviewed'), 'reviewed');
          act(t('cat-js-save-approved'), 'approved');
        }
        if (canTranslate) {
          box.appendChild(h('button.secondary.mt', {
            type: 'button', text: t('cat-js-mt') + ' (Ctrl+M)', disabled: !ed,
            on: { click: function () { machineTranslate(i); } }
          }));
        }
        if (!ed && canTranslate) box.appendChild(h('p.hint', { text: t('cat-js-readonly') }));
        if (!canTranslate) box.appendChild(h('p.hint', { text: t('cat-js-need-translate') }));
      },
      tm: function (box, i, s, ed) {
        var matches = s.matches || [];
        box.appendChild(h('h3', { text: t('cat-js-tm') }));
        if (!matches.length) { box.appendChild(h('p.hint', { text: t('cat-js-no-tm') })); return; }
        box.appendChild(h('ol.tm-list', null, matches.map(function (m, n) {
          return h('li.tm-match', { dataset: { score: m.score } }, [
            h('div.tm-head', null, [
              h('span.score', { text: m.score + '%' }),
              m.approved ? h('span.badge.state-approved', { text: t('cat-js-approved-unit') }) : null,
              h('span.origin', { text: ' ' + (m.origin || '') }),
              n < 3 ? h('button.secondary.insert', {
                type: 'button', text: t('cat-js-insert') + ' (Ctrl+' + (n + 1) + ')', disabled: !ed,
                on: { click: function () { insertMatch(i, n); } }
              }) : null
            ]),
            h('div.tm-src', { lang: 'zh-Hans' }, diffNodes(m.diff && m.diff.length ? m.diff : [{ op: 'equal', text: m.source }])),
            h('div.tm-tgt', { lang: locale, text: m.target })
          ]);
        })));
        box.appendChild(h('p.hint.legend', null, [
          h('ins.diff-ins', { text: t('cat-js-diff-ins') }), ' ', h('del.diff-del', { text: t('cat-js-diff-del') })
        ]));
      },
      terms: function (box, i, s, ed) {
        var hints = s.hints || [];
        box.appendChild(h('h3', { text: t('cat-js-terms') }));
        if (!hints.length) { box.appendChild(h('p.hint', { text: t('cat-js-no-terms') })); return; }
        box.appendChild(h('ul.term-list', null, hints.map(function (th) {
          return h('li.term-hint' + (th.locked ? '.locked' : ''), null, [
            h('span.src', { lang: 'zh-Hans', text: th.source }), ' → ',
            h('button.term-insert', {
              type: 'button', lang: locale, text: th.text, disabled: !ed, title: t('cat-js-insert'),
              on: { click: function () { insertText(i, th.text); } }
            }),
            th.locked ? h('span.badge.locked', { text: t('cat-js-locked') }) : null,
            th.first && th.gloss ? h('span.first', { text: ' ' + t('cat-js-first') }) : null,
            h('div.term-meta', null, [
              t('cat-js-strategy') + ': ' + t('strategy-' + th.strategy),
              th.rule ? ' · ' + t('cat-js-rule') + ': ' + th.rule : '',
              th.forbidden && th.forbidden.length ? ' · ' + t('cat-js-forbidden') + ' ' + th.forbidden.join(', ') : ''
            ]),
            th.definition ? h('div.term-def', { text: th.definition }) : null,
            th.concept ? h('a.term-link', { href: '/kb/concepts/' + encodeURIComponent(th.concept), text: th.concept }) : null
          ]);
        })));
      },
      qa: function (box, i, s, ed) {
        var findings = s.findings || [];
        box.appendChild(h('h3', { text: t('cat-js-qa') }));
        if (!findings.length) { box.appendChild(h('p.hint', { text: t('cat-js-no-qa') })); return; }
        box.appendChild(h('ul.qa-list', null, findings.map(function (f) {
          return h('li.finding.sev-' + f.severity, { dataset: { check: f.check } }, [
            h('span.sev.sev-' + f.severity, { text: f.severity }), ' ',
            h('code', { text: f.check }), ' ', f.message,
            f.fix ? h('button.fix', {
              type: 'button', disabled: !ed, text: t('cat-js-fix') + ': ' + (f.fix.label || ''),
              on: {
                click: function () {
                  inputs[i].value = f.fix.target;
                  autosize(inputs[i]);
                  save(i, rank(s.state) >= rank('draft') ? s.state : 'draft', false);
                }
              }
            }) : null
          ]);
        })));
      },
      comments: function (box, i, s) {
        var list = s.comments || [];
        if (!list.length) { box.appendChild(h('p.hint', { text: t('cat-js-no-comments') })); return; }
        box.appendChild(h('ul.comment-list', null, list.map(function (c) {
          return h('li', null, [h('b', { text: c.author }), ' ', h('small', { text: fmtTime(c.at_ms) }), h('div', { text: c.body })]);
        })));
      }
    };

    function commentForm(i) {
      var s = segs[i];
      var box = h('textarea.comment-body', { rows: 2, maxlength: 4000, required: true });
      var btn = h('button.secondary', { type: 'submit', text: t('cat-js-comment-add') });
      var form = h('form.cat-comment-form', null, [
        h('label', null, [t('cat-js-comment-label'), h('br'), box]), btn
      ]);
      var submit = function (e) {
        if (e) e.preventDefault();
        var body = box.value.trim();
        if (!body) return;
        btn.disabled = true;
        api('POST', API + '/segments/' + s.id + '/comments', { body: body }).then(function (c) {
          s.comments = (s.comments || []).concat([c]);
          box.value = '';
          btn.disabled = false;
          if (parts && parts.index === i) refreshPanel(['comments']);
        }, function (err) { btn.disabled = false; showError(i, err); });
      };
      form.addEventListener('submit', submit);
      box.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' && e.ctrlKey) { e.preventDefault(); e.stopPropagation(); submit(); }
      });
      return form;
    }

    function historyPart(i) {
      var s = segs[i];
      var hist = h('details.history', null, [h('summary', { text: t('cat-js-history') })]);
      var out = h('div');
      hist.appendChild(out);
      hist.load = function () {
        out.textContent = t('cat-js-loading');
        api('GET', API + '/segments/' + s.id + '/history').then(function (revs) {
          out.textContent = '';
          if (!revs.length) { out.appendChild(h('p.hint', { text: t('cat-js-history-empty') })); return; }
          out.appendChild(h('ol.history-list', null, revs.slice().reverse().map(function (r) {
            return h('li', null, [
              h('span.badge.state-' + r.state, { text: t('seg-state-' + r.state) }), ' ',
              'v' + r.version + ' · ' + r.by + ' · ' + fmtTime(r.at_ms) + (r.origin ? ' · ' + r.origin : ''),
              r.target ? h('div.hist-tgt', { lang: locale, text: r.target }) : null
            ]);
          })));
        }, function (e) { out.textContent = t('cat-js-error', { error: e.message }); });
      };
      hist.addEventListener('toggle', function () { if (hist.open) hist.load(); });
      return hist;
    }

    // --- keyboard ---------------------------------------------------------

    document.addEventListener('keydown', function (e) {
      var el = e.target;
      if (el && el.closest && (el.closest('.cat-comment-form') || (!root.contains(el) && el !== document.body))) return;
      var k = e.key;
      if (active < 0) {
        // Nothing active yet: Alt/Ctrl+Down starts at the first visible segment.
        if (k === 'ArrowDown' && !e.shiftKey && (e.altKey !== e.ctrlKey)) {
          var first = rows.findIndex(function (r) { return !r.hidden; });
          if (first >= 0) { e.preventDefault(); inputs[first].focus(); }
        }
        return;
      }
      if (k === 'Enter' && e.ctrlKey && !e.altKey) {
        e.preventDefault();
        if (e.shiftKey) save(active, 'approved', true);
        else save(active, 'translated', true);
        return;
      }
      if ((k === 'ArrowDown' || k === 'ArrowUp') && !e.shiftKey && (e.altKey !== e.ctrlKey)) {
        e.preventDefault();
        move(k === 'ArrowDown' ? 1 : -1);
        return;
      }
      if ((k === 'm' || k === 'M') && e.ctrlKey && !e.altKey && !e.shiftKey) {
        e.preventDefault();
        machineTranslate(active);
        return;
      }
      var d = /^Digit([1-3])$/.exec(e.code || '');
      if (d && !e.shiftKey && (e.ctrlKey !== e.altKey)) {
        e.preventDefault();
        insertMatch(active, parseInt(d[1], 10) - 1);
      }
    });

    window.addEventListener('beforeunload', function (e) {
      for (var i = 0; i < inputs.length; i++) {
        if (dirty(i)) { e.preventDefault(); e.returnValue = t('cat-js-unsaved'); return t('cat-js-unsaved'); }
      }
    });

    // Open the segment named in the address (links from the QA list).
    var m = /^#seg-(.+)$/.exec(window.location.hash);
    if (m) {
      var row = document.getElementById('seg-' + decodeURIComponent(m[1]));
      if (row) inputs[rows.indexOf(row)].focus();
    }
    root.catReady = true;
    root.dataset.ready = 'true';
  }

  function init() {
    initJobs();
    initEditor();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
