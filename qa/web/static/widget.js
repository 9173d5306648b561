/*! esgqa chat widget: ask the ESG reports from any page and get their exact words, with sources.
 * Embed: <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
 * Optional attributes: data-api-key, data-open="true", data-report-ids="a,b", data-years="2021,2022",
 * data-companies="Manz AG,INDUS" (names or aliases),
 * data-max-length="1000", data-title="...". Buttons anywhere on the page with data-esgqa-ask="question"
 * ask that question.
 * No framework, no external resources; everything from the reports or the user is rendered as text. */
(() => {
  "use strict";
  if (window.esgqa) return; // embedded twice

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const conf = (script && script.dataset) || {};
  const scriptUrl = new URL(script ? script.src : "widget.js", document.baseURI);
  const api = (conf.api || scriptUrl.origin).replace(/\/+$/, "");
  const apiKey = conf.apiKey || "";
  const maxChars = parseInt(conf.maxLength, 10) || 1000;
  const list = (v) => (v || "").split(",").map((s) => s.trim()).filter(Boolean);
  const filters = {};
  if (list(conf.reportIds).length) filters.report_ids = list(conf.reportIds);
  if (list(conf.years).length) filters.years = list(conf.years).map(Number);
  if (list(conf.companies).length) filters.companies = list(conf.companies);
  const TIMEOUT_MS = 45000;
  const MAX_TURNS = 6;
  const MAX_HISTORY_CHARS = 8000; // the server's ESGQA_HISTORY_MAX_CHARS default; more is a 413
  let history = [];

  // The newest turns whose text fits the server's history limits.
  function recentHistory() {
    const out = [];
    let total = 0;
    for (const turn of history.slice(-MAX_TURNS).reverse()) {
      const size = turn.question.length + (turn.answer || "").length + (turn.resolved_question || "").length;
      if (total + size > MAX_HISTORY_CHARS) break;
      out.unshift(turn);
      total += size;
    }
    return out;
  }
  let busy = false;

  // DOM helper: text only, never HTML.
  function el(tag, cls, text, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }

  const css = el("link", null, null, { rel: "stylesheet", href: new URL("widget.css", scriptUrl).href });
  document.head.appendChild(css);

  const root = el("div", "esgqa-root");
  const launcher = el("button", "esgqa-launcher", "Ask the reports", {
    type: "button", "aria-expanded": "false", "aria-controls": "esgqa-panel", "aria-haspopup": "dialog",
  });
  const panel = el("div", "esgqa-panel", null, {
    id: "esgqa-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "esgqa-title",
  });
  panel.hidden = true;
  const head = el("div", "esgqa-head");
  const title = el("h2", "esgqa-title", conf.title || "Ask the ESG reports", { id: "esgqa-title" });
  const resetBtn = el("button", "esgqa-reset", "New chat", { type: "button", title: "Start a new conversation" });
  const closeBtn = el("button", "esgqa-close", "\u00d7", { type: "button", "aria-label": "Close" });
  head.append(title, resetBtn, closeBtn);
  const log = el("div", "esgqa-log", null, {
    role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0",
  });
  const form = el("form", "esgqa-form", null, { novalidate: "" });
  const label = el("label", "esgqa-sr", "Your question", { for: "esgqa-input" });
  const input = el("textarea", "esgqa-input", null, {
    id: "esgqa-input", rows: "2", maxlength: String(maxChars), placeholder: "Ask about the reports\u2026",
    "aria-describedby": "esgqa-keys", autocomplete: "off",
  });
  const send = el("button", "esgqa-send", "Ask", { type: "submit" });
  const keys = el("p", "esgqa-sr", "Enter sends, Shift+Enter adds a line, Escape closes.", { id: "esgqa-keys" });
  form.append(label, input, send, keys);
  panel.append(head, log, form);
  root.append(panel, launcher);

  function intro() {
    log.textContent = "";
    log.append(el("p", "esgqa-intro",
      "Answers are exact quotes from the reports, with the report, section and page they come from."));
  }

  function open(focus = true) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("esgqa-open");
    if (focus) input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("esgqa-open");
    launcher.focus();
  }

  const norm = (s) => String(s || "").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();

  function citeText(c) {
    if (!c) return "";
    const t = String(c.title || c.report_id || "");
    const parts = [c.company ? String(c.company) : "", c.year != null && !t.includes(String(c.year)) ? `${t} (${c.year})` : t];
    if (c.section) parts.push(c.section);
    if (c.page != null) parts.push(`p. ${c.page}`);
    return parts.filter(Boolean).join(" \u00b7 ");
  }

  // The quote with [start, end) highlighted; offsets count code points (Python str indexes).
  function highlighted(bq, text, range, answer) {
    const cps = Array.from(text);
    let pre, mid, post;
    if (Array.isArray(range) && range.length === 2 && range[0] >= 0 && range[0] < range[1] && range[1] <= cps.length) {
      pre = cps.slice(0, range[0]).join(""); mid = cps.slice(range[0], range[1]).join(""); post = cps.slice(range[1]).join("");
    } else if (answer && text.includes(answer)) {
      const i = text.indexOf(answer);
      pre = text.slice(0, i); mid = answer; post = text.slice(i + answer.length);
    } else {
      bq.textContent = text;
      return;
    }
    bq.append(pre, el("mark", "esgqa-mark", mid), post);
  }

  async function copy(text, btn) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (_) {
      const ta = el("textarea", "esgqa-offscreen", null, { readonly: "", "aria-hidden": "true" });
      ta.value = text;
      root.append(ta);
      ta.select();
      try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
      ta.remove();
      btn.focus();
    }
    btn.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => { btn.textContent = "Copy citation"; }, 2000);
  }

  // kind: "answer" (the evidence, highlighted), "source" (another source of an answer), "closest" (no answer)
  function quoteView(q, kind, answer) {
    const fig = el("figure", "esgqa-quote esgqa-" + kind);
    if (kind === "closest") fig.append(el("p", "esgqa-flag", "Closest passage \u2014 not an answer"));
    if (q.context) fig.append(el("p", "esgqa-context", q.context));
    const bq = el("blockquote", "esgqa-text");
    if (kind === "answer") highlighted(bq, String(q.text || ""), q.highlight, answer);
    else bq.textContent = String(q.text || "");
    const cite = citeText(q.citation);
    const cap = el("figcaption", "esgqa-cite", cite);
    const btn = el("button", "esgqa-copy", "Copy citation", { type: "button" });
    btn.addEventListener("click", () => copy(`\u201c${q.text}\u201d\n\u2014 ${cite}`, btn));
    fig.append(bq, cap, btn);
    return fig;
  }

  function feedback(ans, typed) {
    const bar = el("div", "esgqa-feedback", null, { role: "group", "aria-label": "Was this answer helpful?" });
    const status = el("span", "esgqa-thanks");
    const vote = (helpful, btn) => {
      for (const b of bar.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === btn));
      post("/v1/feedback", { question: typed, answer_id: ans.answer_id, helpful, source: "widget" })
        .then((r) => { status.textContent = r.ok ? "Thanks for the feedback." : "Feedback not saved."; })
        .catch(() => { status.textContent = "Feedback not saved."; });
    };
    for (const [txt, helpful] of [["Helpful", true], ["Not helpful", false]]) {
      const b = el("button", "esgqa-vote", txt, { type: "button", "aria-pressed": "false" });
      b.addEventListener("click", () => vote(helpful, b));
      bar.append(b);
    }
    bar.append(status);
    return bar;
  }

  function renderAnswer(ans, typed) {
    const box = el("div", "esgqa-msg esgqa-bot");
    if (ans.resolved_question && norm(ans.resolved_question) !== norm(typed)) {
      box.append(el("p", "esgqa-searched", `Searched: ${ans.resolved_question}`));
    }
    const quotes = Array.isArray(ans.quotes) ? ans.quotes : [];
    if (ans.answered) {
      const exact = Number(ans.confidence) >= 0.75;
      box.append(el("p", "esgqa-hint " + (exact ? "esgqa-exact" : "esgqa-likely"),
        exact ? "Exact figure found" : "Likely answer"));
      if (ans.answer) {
        const p = el("p", "esgqa-answer", "Answer: ");
        p.append(el("strong", null, ans.answer));
        box.append(p);
      }
    } else {
      box.append(el("p", "esgqa-abstain", "The reports don't say this."));
    }
    for (const n of ans.notes || []) {
      const d = el("div", "esgqa-note", null, { role: "note" });
      d.append(el("strong", null, "Note: "), String(n));
      box.append(d);
    }
    const rest = ans.answered ? "source" : "closest";
    if (quotes.length) box.append(quoteView(quotes[0], ans.answered ? "answer" : "closest", ans.answer));
    if (quotes.length > 1) {
      const more = el("details", "esgqa-more");
      more.append(el("summary", null, `${ans.answered ? "More sources" : "More passages"} (${quotes.length - 1})`));
      for (const q of quotes.slice(1)) more.append(quoteView(q, rest));
      box.append(more);
    }
    if (ans.answer_id) box.append(feedback(ans, typed));
    return box;
  }

  function post(path, body) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
    const headers = { "Content-Type": "application/json" };
    if (apiKey) headers["X-API-Key"] = apiKey;
    return fetch(api + path, {
      method: "POST", headers, body: JSON.stringify(body), signal: ctrl.signal, credentials: "omit",
    }).finally(() => clearTimeout(timer));
  }

  function retryAfter(res, data) {
    const h = res.headers.get("Retry-After");
    let n = parseInt(h, 10);
    if (isNaN(n) && h && !isNaN(Date.parse(h))) n = Math.ceil((Date.parse(h) - Date.now()) / 1000);
    if (isNaN(n) && data && data.error) n = parseInt(data.error.retry_after, 10);
    return isNaN(n) ? null : Math.max(1, n);
  }

  function errorText(res, data) {
    const msg = data && data.error && data.error.message;
    switch (res.status) {
      case 429: {
        const n = retryAfter(res, data);
        return n ? `Too many questions, try again in ${n} s.` : "Too many questions, try again in a moment.";
      }
      case 413: return msg || `That question is too long (at most ${maxChars} characters).`;
      case 422: return msg || "That question could not be read. Please rephrase it.";
      case 404: return msg || "The answer service does not know the report or company this page asks about.";
      case 401: case 403: return "This page is not allowed to ask the answer service (missing or wrong API key).";
      case 503: return "The answer service is starting up or unavailable. Please try again in a minute.";
      default: return `The answer service failed (HTTP ${res.status})` + (msg ? `: ${msg}` : ".");
    }
  }

  function say(cls, text, attrs) {
    const m = el("div", "esgqa-msg " + cls, null, attrs);
    m.append(el("p", null, text));
    log.append(m);
    return m;
  }

  async function ask(raw) {
    const question = String(raw || "").trim();
    if (!question || busy) return;
    open(false);
    if (question.length > maxChars) {
      say("esgqa-error", `That question is too long (at most ${maxChars} characters).`, { role: "alert" });
      return;
    }
    busy = true;
    send.disabled = true;
    log.setAttribute("aria-busy", "true");
    input.value = "";
    const mine = say("esgqa-user", question);
    const pending = say("esgqa-bot esgqa-loading", "Searching the reports\u2026");
    log.scrollTop = mine.offsetTop;
    const body = { question, history: recentHistory() };
    if (Object.keys(filters).length) body.filters = filters;
    let reply;
    try {
      const res = await post("/v1/ask", body);
      const data = await res.json().catch(() => null);
      if (!res.ok) reply = el("div", "esgqa-msg esgqa-error", errorText(res, data), { role: "alert" });
      else if (!data || !Array.isArray(data.quotes)) reply = el("div", "esgqa-msg esgqa-error", "The answer service sent an unexpected reply.");
      else {
        history.push({ question, answer: data.answer == null ? null : data.answer, resolved_question: data.resolved_question || null });
        reply = renderAnswer(data, question);
      }
    } catch (err) {
      reply = el("div", "esgqa-msg esgqa-error", err && err.name === "AbortError"
        ? "The answer service took too long to reply. Please try again."
        : `Can't reach the answer service at ${api}. Check your connection and try again.`, { role: "alert" });
    }
    if (reply.classList.contains("esgqa-error") && !input.value) input.value = question;
    pending.replaceWith(reply);
    log.scrollTop = mine.offsetTop;
    log.removeAttribute("aria-busy");
    send.disabled = false;
    busy = false;
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); ask(input.value); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); ask(input.value); }
  });
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); close(); } });
  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeBtn.addEventListener("click", close);
  resetBtn.addEventListener("click", () => { if (!busy) { history = []; intro(); input.focus(); } });
  document.addEventListener("click", (e) => {
    const b = e.target instanceof Element && e.target.closest("[data-esgqa-ask]");
    if (b) { e.preventDefault(); ask(b.getAttribute("data-esgqa-ask")); }
  });

  function mount() {
    intro();
    document.body.append(root);
    if (conf.open === "true") open(false);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.esgqa = { open, close, ask, version: "1" };
})();
