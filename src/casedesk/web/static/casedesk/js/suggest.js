/*
 * Deflection while opening a case (T12): as the contact types the subject or picks the
 * product, ask the portal for matching articles and list them above the buttons. Progressive:
 * without this script the form offers a "Look for answers first" button that does the same
 * on the server. Titles are put in with textContent, never as markup. The visit's token goes
 * with every request so the suggestions shown are recorded, and tied to the case if one is
 * opened anyway.
 */
(function () {
  "use strict";

  var box = document.getElementById("case-suggestions");
  var subject = document.getElementById("id_subject");
  if (!box || !subject || !window.fetch) {
    return;
  }
  var product = document.getElementById("id_product");
  var list = box.querySelector("[data-suggestion-list]");
  var selfhelp = document.getElementById("case-selfhelp-link");
  var form = subject.form;
  var timer = null;
  var last = "";

  function render(articles) {
    list.textContent = "";
    articles.forEach(function (a) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = a.title;
      item.appendChild(link);
      var meta = document.createElement("span");
      meta.className = "small muted";
      meta.textContent = " " + a.kind + (a.product ? " · " + a.product : "");
      item.appendChild(meta);
      list.appendChild(item);
    });
    box.hidden = articles.length === 0;
  }

  function updateSelfHelp() {
    if (!selfhelp || !product) {
      return;
    }
    var id = product.value;
    selfhelp.hidden = !id;
    if (id) {
      selfhelp.querySelector("a").href = selfhelp.getAttribute("data-base") + id + "/";
    }
  }

  function ask() {
    var key = subject.value.trim() + "|" + (product ? product.value : "");
    if (key === last) {
      return;
    }
    last = key;
    var body = new FormData();
    body.append("subject", subject.value);
    body.append("product", product ? product.value : "");
    body.append("token", form.elements.suggest_token.value);
    fetch(box.getAttribute("data-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
    })
      .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
      .then(function (data) { render(data.articles || []); })
      .catch(function () { /* suggestions are a help, never in the way */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 350);
  }

  subject.addEventListener("input", later);
  if (product) {
    product.addEventListener("change", function () { updateSelfHelp(); later(); });
  }
  updateSelfHelp();
  var fallback = form.querySelector("[data-suggest-fallback]");
  if (fallback) {
    fallback.hidden = true;
  }
})();
