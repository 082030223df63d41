/**
 * The live status page the control listener serves at `/` (and `/status.html`): one HTML
 * document, its script and styles inline, no build step and nothing fetched from elsewhere. It
 * polls `status` every second (with the page's own `?token=`, when the listener needs one) and
 * draws requests and errors per second of the last five minutes as an inline SVG. Groups with
 * many handlers fold into a summary line; one filter box narrows every handler list.
 *
 * The script is written without template literals so it can live inside this one.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ferry status</title>
<style>
  :root { --fg: #1d2330; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; --ok: #15803d;
          --warn: #b45309; --bad: #b91c1c; --req: #2563eb; --err: #dc2626; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  header { padding: 12px 20px; background: #111827; color: #f9fafb; display: flex; flex-wrap: wrap; gap: 6px 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: #cbd5e1; font-size: 13px; }
  #conn { margin-left: auto; font-size: 13px; }
  #conn.down { color: #fca5a5; }
  main { padding: 16px 20px; max-width: 1200px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; margin-bottom: 14px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
  .card .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .card .k { color: var(--muted); font-size: 12px; }
  .panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin-bottom: 14px; }
  .panel h2 { font-size: 14px; margin: 0 0 8px; }
  .legend span { margin-right: 14px; font-size: 12px; color: var(--muted); }
  .legend i { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin-right: 4px; }
  svg { width: 100%; height: 140px; display: block; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { font-size: 12px; color: var(--muted); font-weight: 500; }
  td.n, th.n { text-align: right; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; color: #fff; }
  .serving { background: var(--ok); } .draining { background: var(--warn); } .none { background: var(--bad); }
  details { margin: 6px 0 10px; }
  summary { cursor: pointer; color: var(--muted); }
  .handlers { max-height: 320px; overflow: auto; border: 1px solid var(--line); border-radius: 4px; margin-top: 6px; }
  .handlers table th { position: sticky; top: 0; background: #fff; }
  .toolbar { display: flex; gap: 12px; align-items: center; margin-bottom: 8px; }
  input[type=search] { padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; min-width: 220px; }
  .muted { color: var(--muted); }
  .oldest { font-size: 12px; color: var(--muted); margin-top: 4px; }
</style>
</head>
<body>
<header>
  <h1>Ferry</h1>
  <span class="meta" id="fid">connecting…</span>
  <span class="meta" id="uptime"></span>
  <span class="meta" id="config"></span>
  <span id="conn">…</span>
</header>
<main>
  <div class="cards" id="cards"></div>
  <div class="panel">
    <h2>Requests per second, last 5 minutes</h2>
    <div class="legend"><span><i style="background:var(--req)"></i>responses/s</span><span><i style="background:var(--err)"></i>errors/s (5xx)</span><span id="peak"></span></div>
    <svg id="chart" viewBox="0 0 600 140" role="img" aria-label="requests per second"></svg>
  </div>
  <div class="panel">
    <div class="toolbar"><h2 style="margin:0">Groups</h2>
      <input type="search" id="filter" placeholder="filter handlers (id or agent)">
      <span class="muted" id="listeners"></span></div>
    <div id="groups"></div>
  </div>
</main>
<script>
(function () {
  "use strict";
  var token = new URLSearchParams(location.search).get("token");
  var url = "status" + (token ? "?token=" + encodeURIComponent(token) : "");
  var opened = {};
  var last = null;
  var FOLD = 20;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function num(x, digits) { return Number(x).toFixed(digits === undefined ? 0 : digits); }
  function dur(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m ? m + "m " + (s % 60) + "s" : s + "s";
  }
  function ago(ms) { return ms < 1000 ? ms + " ms" : num(ms / 1000, 1) + " s"; }

  function card(k, v) { return '<div class="card"><div class="v">' + esc(v) + '</div><div class="k">' + esc(k) + "</div></div>"; }

  function chart(h) {
    // Drawn at the chart's own pixel width, so the labels are not stretched.
    var svg = document.getElementById("chart");
    var W = Math.max(300, Math.round(svg.getBoundingClientRect().width));
    svg.setAttribute("viewBox", "0 0 " + W + " 140");
    var n = h.requests.length, max = 1;
    for (var i = 0; i < n; i++) max = Math.max(max, h.requests[i]);
    function line(xs, color) {
      var pts = [];
      for (var i = 0; i < n; i++) pts.push(num(i * W / (n - 1), 1) + "," + num(135 - xs[i] * 125 / max, 1));
      return '<polyline fill="none" stroke="' + color + '" stroke-width="1.5" points="' + pts.join(" ") + '"/>';
    }
    var grid = '<line x1="0" y1="10" x2="' + W + '" y2="10" stroke="#e5e7eb"/><line x1="0" y1="135" x2="' + W + '" y2="135" stroke="#e5e7eb"/>' +
      '<text x="4" y="22" font-size="10" fill="#6b7280">' + max + '/s</text><text x="4" y="132" font-size="10" fill="#6b7280">-5 min</text>' +
      '<text x="' + (W - 4) + '" y="132" font-size="10" fill="#6b7280" text-anchor="end">now</text>';
    svg.innerHTML = grid + line(h.requests, "var(--req)") + line(h.errors, "var(--err)");
    document.getElementById("peak").textContent = "peak " + max + "/s";
  }

  function handlerRows(g, filter) {
    var rows = [], shown = 0;
    for (var i = 0; i < g.handlers.length; i++) {
      var h = g.handlers[i];
      if (filter && (h.hid + " " + (h.agent || "")).toLowerCase().indexOf(filter) === -1) continue;
      shown++;
      rows.push('<tr data-hid="' + esc(h.hid) + '"><td>' + esc(h.hid) + "</td><td>" + esc(h.agent || "") + '</td><td class="n">' + h.inflight +
        '</td><td class="n">' + h.capacity + '</td><td class="n">' + ago(h.lastHeartbeat) + "</td><td>" +
        (h.draining ? '<span class="badge draining">draining</span>' : '<span class="badge serving">live</span>') + "</td></tr>");
    }
    return { html: rows.join(""), shown: shown };
  }

  function groupBlock(g, filter) {
    var state = g.state === "draining" ? "draining" : g.live > 0 ? "serving" : "none";
    var label = g.state === "draining" ? "draining" : g.live > 0 ? "serving" : "no handler";
    var out = '<table data-group="' + esc(g.name) + '"><tr><th>group</th><th>protocol</th><th>state</th><th class="n">live</th><th class="n">queued</th><th class="n">in flight</th>' +
      '<th class="n">req/s</th><th class="n">err/s</th><th class="n">requests</th><th class="n">errors</th></tr><tr><td><b>' + esc(g.name) + "</b></td><td>" + esc(g.protocol) +
      '</td><td><span class="badge ' + state + '">' + label + '</span></td><td class="n">' + g.live + '</td><td class="n">' + g.queued + '</td><td class="n">' + g.inflight +
      '</td><td class="n">' + num(g.rate, 1) + '</td><td class="n">' + num(g.errorRate, 1) + '</td><td class="n">' + g.requests + '</td><td class="n">' + g.errors + "</td></tr></table>";
    if (g.handlers) {
      var draining = 0, inflight = 0, capacity = 0;
      for (var i = 0; i < g.handlers.length; i++) {
        var h = g.handlers[i];
        if (h.draining) draining++;
        inflight += h.inflight; capacity += h.capacity;
      }
      var rows = handlerRows(g, filter);
      var open = opened[g.name] !== undefined ? opened[g.name] : g.handlers.length <= FOLD;
      out += '<details data-handlers="' + esc(g.name) + '"' + (open || filter ? " open" : "") + "><summary>" + g.handlers.length + " handler" + (g.handlers.length === 1 ? "" : "s") +
        (draining ? ", " + draining + " draining" : "") + ", in flight " + inflight + " / capacity " + capacity +
        (filter ? " (" + rows.shown + " match)" : "") + '</summary><div class="handlers"><table><tr><th>handler</th><th>agent</th><th class="n">in flight</th><th class="n">capacity</th><th class="n">last heard</th><th>state</th></tr>' +
        rows.html + "</table></div></details>";
    } else {
      out += '<p class="muted">mongrel2 handlers announce nothing: live means the requests socket took a message recently.</p>';
    }
    if (g.oldest && g.oldest.length) {
      out += '<div class="oldest">oldest: ' + g.oldest.map(function (x) {
        return esc(x.path) + " " + ago(x.age) + (x.handler ? " at " + esc(x.handler) : "");
      }).join(" · ") + "</div>";
    }
    return out;
  }

  function render(s) {
    last = s;
    document.getElementById("fid").textContent = s.fid + " (pid " + s.pid + ")";
    document.getElementById("uptime").textContent = "up " + dur(s.uptime);
    var r = s.config.lastReload;
    document.getElementById("config").textContent = "config " + s.config.source +
      (r ? " · reloaded " + new Date(r.time).toLocaleTimeString() + (r.ok ? " ok" : " FAILED") : "");
    var queued = 0;
    for (var i = 0; i < s.groups.length; i++) queued += s.groups[i].queued;
    document.getElementById("cards").innerHTML = card("responses/s", num(s.rate, 1)) + card("errors/s", num(s.errorRate, 1)) +
      card("connections", s.connections) + card("WebSockets", s.websockets) + card("in flight", s.inflight) + card("queued", queued) +
      card("groups", s.groups.length);
    document.getElementById("listeners").textContent = "listening on " + s.listeners.map(function (l) { return l.address; }).join(", ");
    chart(s.history);
    var filter = document.getElementById("filter").value.trim().toLowerCase();
    document.getElementById("groups").innerHTML = s.groups.map(function (g) { return groupBlock(g, filter); }).join("");
    // Only a click records a choice (a filter opens lists without changing it).
    var ds = document.querySelectorAll("details[data-handlers] > summary");
    for (var j = 0; j < ds.length; j++) {
      ds[j].addEventListener("click", function (e) {
        var d = e.currentTarget.parentNode;
        opened[d.getAttribute("data-handlers")] = !d.open;
      });
    }
  }

  function poll() {
    fetch(url, { cache: "no-store" }).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    }).then(function (s) {
      var c = document.getElementById("conn");
      c.textContent = "live · " + new Date().toLocaleTimeString();
      c.className = "";
      render(s);
    }).catch(function (err) {
      var c = document.getElementById("conn");
      c.textContent = "no answer (" + err.message + ")";
      c.className = "down";
    }).then(function () { setTimeout(poll, 1000); });
  }
  document.getElementById("filter").addEventListener("input", function () { if (last) render(last); });
  poll();
})();
</script>
</body>
</html>
`;
