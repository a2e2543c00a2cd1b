/* The shop assistant's chat widget. One tag on any page:
 *
 *   <script src="https://ASSISTANT-HOST/widget.js" data-title="Ask our shop" data-color="#2563eb"></script>
 *
 * It talks to the server it was loaded from (that server must list this page's origin in
 * SHOP_ALLOWED_ORIGINS). Every message and product field is inserted with textContent, never as HTML:
 * catalog rows and replies are data. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__shopAssistantWidget) return;
  window.__shopAssistantWidget = true;
  var base = new URL(script.src, location.href).origin;
  var title = script.getAttribute("data-title") || "Shop assistant";
  var color = script.getAttribute("data-color") || "#2563eb";
  var greeting = script.getAttribute("data-greeting") || "Hi! Tell me what you are looking for, or ask about shipping and returns.";
  var storageKey = "shop-assistant-session:" + base;
  var sessionId = null;
  try { sessionId = localStorage.getItem(storageKey); } catch (e) { /* storage blocked: a session per page load */ }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var style = el("style");
  style.textContent = [
    ".sa-bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;",
    "display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}",
    ".sa-panel{position:fixed;right:20px;bottom:88px;width:min(380px,calc(100vw - 24px));height:min(560px,calc(100vh - 110px));",
    "display:none;flex-direction:column;background:#fff;color:#111;border-radius:14px;overflow:hidden;",
    "box-shadow:0 8px 30px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif;z-index:2147483000}",
    ".sa-panel.sa-open{display:flex}",
    ".sa-head{padding:12px 14px;color:#fff;font-weight:600;display:flex;justify-content:space-between;align-items:center}",
    ".sa-head button{background:transparent;border:0;color:#fff;font-size:13px;cursor:pointer}",
    ".sa-log{flex:1;overflow-y:auto;padding:10px;background:#f6f7f9}",
    ".sa-msg{margin:6px 0;padding:8px 10px;border-radius:10px;max-width:88%;white-space:pre-wrap;word-wrap:break-word}",
    ".sa-user{background:#dbeafe;margin-left:auto}.sa-bot{background:#fff;border:1px solid #e5e7eb}",
    ".sa-card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:8px 10px;margin:6px 0}",
    ".sa-card-title{font-weight:600}.sa-card-meta{color:#374151;font-size:13px}",
    ".sa-card ul{margin:4px 0 6px 18px;padding:0;font-size:13px}",
    ".sa-card button{border:1px solid #d1d5db;background:#fff;border-radius:6px;padding:3px 8px;cursor:pointer;font-size:12px}",
    ".sa-form{display:flex;border-top:1px solid #e5e7eb}",
    ".sa-form input{flex:1;border:0;padding:12px;font-size:14px;outline:none}",
    ".sa-form button{border:0;color:#fff;padding:0 16px;cursor:pointer;font-weight:600}",
    ".sa-error{color:#b91c1c}"
  ].join("");
  document.head.appendChild(style);

  var bubble = el("button", "sa-bubble");
  var svg = "http://www.w3.org/2000/svg", icon = document.createElementNS(svg, "svg"), path = document.createElementNS(svg, "path");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "26");
  icon.setAttribute("height", "26");
  path.setAttribute("fill", "#fff");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
  icon.appendChild(path);
  bubble.appendChild(icon);
  bubble.style.background = color;
  bubble.setAttribute("aria-label", "Open the shop assistant");
  var panel = el("div", "sa-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  var head = el("div", "sa-head");
  head.style.background = color;
  head.appendChild(el("span", null, title));
  var restart = el("button", null, "New chat");
  head.appendChild(restart);
  var log = el("div", "sa-log");
  var form = el("form", "sa-form");
  var input = el("input");
  input.placeholder = "Type your message";
  input.maxLength = 2000;
  input.setAttribute("aria-label", "Message");
  var send = el("button", null, "Send");
  send.type = "submit";
  send.style.background = color;
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(form);
  document.body.appendChild(bubble);
  document.body.appendChild(panel);

  function say(text, who) {
    var node = el("div", "sa-msg " + (who === "user" ? "sa-user" : "sa-bot"), text);
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function money(value, currency) {
    try { return new Intl.NumberFormat(undefined, { style: "currency", currency: currency }).format(value); }
    catch (e) { return value.toFixed(2) + " " + currency; }
  }

  function card(product) {
    var box = el("div", "sa-card");
    box.setAttribute("data-product-id", product.id);
    box.appendChild(el("div", "sa-card-title", product.title));
    var meta = [product.brand, money(product.price, product.currency)];
    if (product.rating !== null) meta.push(product.rating + "/5");
    meta.push(product.stock === 0 ? "out of stock" : "in stock");
    box.appendChild(el("div", "sa-card-meta", meta.join(" \u00b7 ")));
    var reasons = el("ul");
    (product.reasons || []).forEach(function (r) { reasons.appendChild(el("li", null, r)); });
    box.appendChild(reasons);
    var add = el("button", null, "Add to cart");
    add.addEventListener("click", function () { post("/api/cart", { session_id: sessionId, product_id: product.id, action: "add" }, "Add " + product.title + " to my cart"); });
    box.appendChild(add);
    log.appendChild(box);
  }

  function remember(id) {
    sessionId = id;
    try { localStorage.setItem(storageKey, id); } catch (e) { /* ignore */ }
  }

  function plain(text) { return text.replace(/\*\*/g, ""); }  /* the replies' bold marks; the rest is plain text */

  function show(reply, node) {
    remember(reply.session_id);
    node.textContent = plain(reply.text);
    if (reply.action === "recommend") (reply.products || []).forEach(card);
    if (reply.action.indexOf("cart") === 0 && reply.cart) {
      say("Cart: " + reply.cart.lines.length + " item(s), total " + money(reply.cart.total, reply.cart.currency), "bot");
    }
    log.scrollTop = log.scrollHeight;
  }

  function failed(node, status, detail) {
    node.classList.add("sa-error");
    node.textContent = status === 429 ? "Too many messages at once; please wait a moment." : "Sorry, something went wrong (" + (detail || status) + ").";
  }

  function post(path, body, shown) {
    say(shown, "user");
    var node = say("\u2026", "bot");
    fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); })
      .then(function (r) { if (r.ok) show(r.data, node); else failed(node, r.status, r.data.detail); })
      .catch(function (e) { failed(node, 0, e.message); });
  }

  /* Streams the reply (server-sent events over a POST), so the first words show while the rest is written. */
  function chat(message) {
    say(message, "user");
    var node = say("\u2026", "bot");
    var body = { message: message };
    if (sessionId) body.session_id = sessionId;
    fetch(base + "/api/chat/stream", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (response) {
        if (!response.ok) return response.json().then(function (d) { failed(node, response.status, d.detail); });
        var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "", text = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return;
            buffer += decoder.decode(chunk.value, { stream: true });
            var events = buffer.split("\n\n");
            buffer = events.pop();
            events.forEach(function (raw) {
              var kind = (raw.match(/^event: (.*)$/m) || [])[1], data = (raw.match(/^data: (.*)$/m) || [])[1];
              if (!kind || data === undefined) return;
              var payload = JSON.parse(data);
              if (kind === "delta") { text += payload.text; node.textContent = plain(text); log.scrollTop = log.scrollHeight; }
              else if (kind === "reply") show(payload, node);
              else if (kind === "error") failed(node, 422, payload.detail);
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function (e) { failed(node, 0, e.message); });
  }

  bubble.addEventListener("click", function () {
    var open = panel.classList.toggle("sa-open");
    if (open && !log.childNodes.length) say(greeting, "bot");
    if (open) input.focus();
  });
  restart.addEventListener("click", function () {
    if (sessionId) fetch(base + "/api/session/" + encodeURIComponent(sessionId) + "/reset", { method: "POST" }).catch(function () {});
    sessionId = null;
    try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
    log.textContent = "";
    say(greeting, "bot");
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = input.value.trim();
    if (!message) return;
    input.value = "";
    chat(message);
  });
})();
