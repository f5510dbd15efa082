(function () {
  'use strict';
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'cls') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }
  function fmt(x) {
    if (x === 0) return '0';
    var a = Math.abs(x);
    if (a >= 1000 || a < 0.001) return x.toExponential(2);
    return x.toPrecision(3);
  }
  function pct(x) { return x >= 0.001 ? (100 * x).toPrecision(3) + '%' : (100 * x).toExponential(2) + '%'; }
  function count(n) { return n.toLocaleString('en-US'); }
  function shown(text) {
    if (text === '') return null;
    return text.replace(/\n/g, '\u21b5').replace(/\t/g, '\u21e5');
  }
  function stat(value, label) { return el('div', { cls: 'stat' }, [el('b', { text: value }), el('span', { text: label })]); }
  function topHeader(title, home) {
    var links = [el('h1', { text: title })];
    if (home) links.push(el('a', { href: home, text: '\u2190 all features' }));
    return el('header', { cls: 'top' }, links);
  }

  // One example: tokens of its window, background alpha ∝ activation / the feature's max.
  function example(ex, max) {
    var text = el('span', { cls: 'text' });
    if (!ex.t) {
      text.appendChild(el('span', { cls: 'tok center', text: 'row ' + ex.r + ' (no text: imported rows)' }));
    } else {
      ex.t.forEach(function (tok, i) {
        var v = ex.v[i], alpha = max > 0 ? Math.max(0, Math.min(1, v / max)) : 0;
        var label = shown(tok);
        var span = el('span', { cls: 'tok' + (i === ex.c ? ' center' : '') + (label === null ? ' bos' : ''),
                                text: label === null ? '\u27e8bos\u27e9' : label,
                                title: 'activation ' + fmt(v) + ' \u00b7 row ' + (ex.r - ex.c + i) });
        if (alpha > 0) span.style.background = 'rgba(255, 122, 0, ' + (0.08 + 0.82 * alpha).toFixed(3) + ')';
        text.appendChild(span);
      });
    }
    var where = ex.d === undefined ? 'row ' + ex.r : 'row ' + ex.r + ' \u00b7 doc ' + ex.d + ' \u00b7 ' + ex.s;
    // ex.n: rows with this very context (same tokens from the window start) folded into it.
    var act = el('span', { cls: 'act', text: fmt(ex.a) + (ex.n ? ' \u00d7' + (ex.n + 1) : ''),
                           title: ex.n ? ex.n + ' more rows with the identical context folded into this one' : '' });
    return el('div', { cls: 'example', title: where }, [act, text]);
  }

  // Histogram over the fixed log bins: x is log2(activation), y the row count.
  function histogram(bins) {
    var W = 460, H = 150, L = 44, B = 24, T = 8, R = 10;
    var root = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    if (!bins.length) return root;
    var x0 = Math.log2(bins[0][0]), x1 = Math.log2(bins[bins.length - 1][1]);
    var top = Math.max.apply(null, bins.map(function (b) { return b[2]; }));
    function X(v) { return L + (Math.log2(v) - x0) / Math.max(x1 - x0, 1e-9) * (W - L - R); }
    bins.forEach(function (b) {
      var h = b[2] / top * (H - B - T);
      root.appendChild(svg('rect', { x: X(b[0]), y: H - B - h, width: Math.max(1, X(b[1]) - X(b[0]) - 0.5), height: h, fill: '#f08c00' }));
    });
    root.appendChild(svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#adb5bd' }));
    [[bins[0][0], 'start'], [bins[bins.length - 1][1], 'end']].forEach(function (p) {
      var t = svg('text', { x: X(p[0]), y: H - 8, 'text-anchor': p[1] });
      t.textContent = fmt(p[0]);
      root.appendChild(t);
    });
    var label = svg('text', { x: L - 4, y: T + 10, 'text-anchor': 'end' });
    label.textContent = count(top);
    root.appendChild(label);
    var axis = svg('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle' });
    axis.textContent = 'activation (log scale)';
    root.appendChild(axis);
    return root;
  }

  function logitTable(title, rows, cls) {
    var body = el('tbody');
    rows.forEach(function (r) {
      body.appendChild(el('tr', null, [el('td', { cls: 'tok', text: r[0] === null ? '#' + r[2] : JSON.stringify(r[0]).slice(1, -1) }),
                                       el('td', { cls: 'num ' + cls, text: fmt(r[1]) })]));
    });
    return el('table', { cls: 'logits' }, [el('thead', null, [el('tr', null, [el('th', { text: title }), el('th', { cls: 'num', text: 'logit' })])]), body]);
  }

  function renderFeature(d, app) {
    document.title = 'Feature ' + d.id + ' \u00b7 saestore';
    app.appendChild(el('div', { cls: 'stats' }, [
      stat(pct(d.freq), 'firing frequency (' + count(d.fires) + ' of ' + count(d.rows) + ' rows)'),
      stat(fmt(d.mean), 'mean activation when firing'), stat(fmt(d.max), 'max activation')]));
    var cols = el('div', { cls: 'cols' });
    cols.appendChild(el('div', null, [el('h2', { text: 'Activation histogram' }), histogram(d.hist)]));
    if (d.pos) {
      cols.appendChild(el('div', null, [el('h2', { text: 'Logit effect' }),
        el('div', { cls: 'cols' }, [logitTable('promoted', d.pos, 'pos'), logitTable('suppressed', d.neg, 'neg')]),
        el('div', { cls: 'note', text: d.leftNote || (d.left ? count(d.left) + ' tokens left out: their unembedding rows are near-identical to many others\u2019 (tokens the model hardly trained on)' : '') })]));
    }
    app.appendChild(cols);
    app.appendChild(el('h2', { text: 'Top ' + d.top.length + ' activations' + (d.folded ? ' (distinct contexts; \u00d7N: N rows with that exact context, ' + count(d.folded) + ' folded in all)' : '') }));
    var top = el('div', { id: 'top-examples' });
    d.top.forEach(function (ex) { top.appendChild(example(ex, d.max)); });
    app.appendChild(top);
    if (d.quant && d.quant.length) {
      app.appendChild(el('h2', { text: 'Samples by activation quantile (fraction of max)' }));
      var q = el('div', { id: 'quantiles' });
      d.quant.forEach(function (b) {
        if (!b.ex.length) return;
        q.appendChild(el('div', { cls: 'bucket', text: 'activation ' + fmt(b.lo) + ' \u2013 ' + fmt(b.hi) + ' \u00b7 ' + count(b.n) + ' rows' }));
        b.ex.forEach(function (ex) { q.appendChild(example(ex, d.max)); });
      });
      app.appendChild(q);
    }
    var nav = [];
    if (d.prev !== null) nav.push(el('a', { href: d.prev + '.html', text: '\u2190 feature ' + d.prev }));
    if (d.next !== null) nav.push(el('a', { href: d.next + '.html', text: 'feature ' + d.next + ' \u2192' }));
    app.appendChild(el('p', { cls: 'search' }, nav));
  }

  function ranges(ids) {
    var out = [], i = 0;
    while (i < ids.length) {
      var j = i;
      while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
      out.push(i === j ? String(ids[i]) : ids[i] + '\u2013' + ids[j]);
      i = j + 1;
    }
    return out.join(', ');
  }

  // Density of firing frequencies over features (log10), as SAE trainers plot it.
  function density(features) {
    var W = 460, H = 120, L = 10, B = 22, R = 10, n = 40, lo = -7, hi = 0;
    var counts = new Array(n).fill(0);
    features.forEach(function (f) {
      var b = Math.floor((Math.log10(f[2]) - lo) / (hi - lo) * n);
      counts[Math.max(0, Math.min(n - 1, b))]++;
    });
    var top = Math.max.apply(null, counts) || 1;
    var root = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    var w = (W - L - R) / n;
    counts.forEach(function (c, i) {
      var h = c / top * (H - B - 6);
      root.appendChild(svg('rect', { x: L + i * w, y: H - B - h, width: w - 1, height: h, fill: '#4c6ef5' }));
    });
    [[-7, 'start'], [-4, 'middle'], [0, 'end']].forEach(function (p) {
      var t = svg('text', { x: L + (p[0] - lo) / (hi - lo) * (W - L - R), y: H - 6, 'text-anchor': p[1] });
      t.textContent = '1e' + p[0];
      root.appendChild(t);
    });
    return root;
  }

  function renderIndex(d, app) {
    document.title = 'Features \u00b7 ' + d.hook + ' \u00b7 saestore';
    app.appendChild(el('p', { cls: 'muted', text: 'SAE ' + d.sae + ' on ' + d.store + ' (' + d.hook + '), ' + count(d.rows) + ' rows scanned, ' + d.created }));
    app.appendChild(el('div', { cls: 'stats' }, [stat(count(d.scanned), 'features scanned'), stat(count(d.features.length), 'alive'),
                                                 stat(count(d.dead.length), 'dead (never fired)')]));
    app.appendChild(el('h2', { text: 'Firing frequency of live features (log10)' }));
    app.appendChild(density(d.features));
    var input = el('input', { id: 'search', type: 'search', placeholder: 'feature id', inputmode: 'numeric' });
    var go = el('button', { text: 'Open' });
    var message = el('span', { id: 'message' });
    app.appendChild(el('div', { cls: 'search' }, [input, go, message]));
    var live = {};
    d.features.forEach(function (f) { live[f[0]] = true; });
    var dead = {};
    d.dead.forEach(function (id) { dead[id] = true; });
    function open() {
      var id = parseInt(input.value, 10);
      if (isNaN(id)) { message.textContent = 'type a feature id'; return; }
      if (live[id]) { window.location.href = 'features/' + id + '.html'; return; }
      message.textContent = dead[id] ? 'feature ' + id + ' never fired (dead)' : 'feature ' + id + ' was not scanned';
    }
    go.addEventListener('click', open);
    var body = el('tbody');
    var rows = d.features.map(function (f, rank) {
      var tr = el('tr', null, [el('td', { cls: 'num', text: String(rank + 1) }),
        el('td', null, [el('a', { href: 'features/' + f[0] + '.html', text: String(f[0]) })]),
        el('td', null, [el('span', { cls: 'freqbar', style: 'width:' + Math.max(1, Math.round(60 * (Math.log10(f[2]) + 7) / 7)) + 'px' }), pct(f[2])]),
        el('td', { cls: 'num', text: count(f[1]) }), el('td', { cls: 'num', text: fmt(f[3]) }), el('td', { cls: 'num', text: fmt(f[4]) })]);
      tr.dataset.id = f[0];
      body.appendChild(tr);
      return tr;
    });
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') open(); });
    input.addEventListener('input', function () {
      var q = input.value.trim();
      message.textContent = '';
      rows.forEach(function (tr) { tr.style.display = q === '' || tr.dataset.id.indexOf(q) === 0 ? '' : 'none'; });
    });
    app.appendChild(el('table', { id: 'features' }, [el('thead', null, [el('tr', null, ['#', 'feature', 'frequency', 'fires', 'mean', 'max'].map(function (h, i) {
      return el('th', { cls: i === 1 || i === 2 ? '' : 'num', text: h });
    }))]), body]));
    if (d.dead.length) {
      app.appendChild(el('h2', { text: 'Dead features (' + count(d.dead.length) + ')' }));
      app.appendChild(el('p', { cls: 'dead muted', text: ranges(d.dead) }));
    }
  }

  var app = document.getElementById('app');
  try {
    var data = JSON.parse(document.getElementById('data').textContent);
    app.textContent = '';
    if (document.body.dataset.page === 'feature') {
      document.body.insertBefore(topHeader('Feature ' + data.id, '../index.html'), app);
      renderFeature(data, app);
    } else {
      document.body.insertBefore(topHeader('saestore features', null), app);
      renderIndex(data, app);
    }
    document.body.dataset.rendered = 'ok';
  } catch (e) {
    document.body.dataset.rendered = 'error';
    app.appendChild(el('pre', { cls: 'error', text: 'The report could not be drawn: ' + e }));
    throw e;
  }
})();
