// placewatch desk: live updates, keyboard triage and the live reply count.
// Every page works without this script; it only saves officers time.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const announcer = document.getElementById("announce");
  const help = document.getElementById("help");

  function announce(message) {
    if (!announcer) return;
    announcer.textContent = "";
    // A fresh text node makes screen readers read it even when repeated.
    window.setTimeout(() => { announcer.textContent = message; }, 50);
  }

  async function post(url, body) {
    const headers = { "X-CSRF-Token": csrf, "Accept": "application/json" };
    // Without a body, an empty form: the workflow actions read their
    // (optional) fields as a form and refuse any other content type.
    let payload = "";
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(url, { method: "POST", headers, body: payload, credentials: "same-origin" });
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok) {
      let message = "The desk refused: " + response.status;
      if (!type.includes("json")) {
        const html = await response.text();
        const doc = new DOMParser().parseFromString(html, "text/html");
        const text = doc.querySelector(".error")?.textContent;
        if (text) message = text.trim();
      }
      throw new Error(message);
    }
    return type.includes("json") ? response.json() : null;
  }

  function typing(event) {
    const t = event.target;
    return t instanceof HTMLElement &&
      (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
  }

  // ---------------------------------------------------------------- inbox
  const list = document.getElementById("items");

  function rows() {
    return list ? Array.from(list.querySelectorAll(":scope > li.item")) : [];
  }

  function selected() {
    return list?.querySelector(":scope > li.item.selected") || null;
  }

  function select(row) {
    if (!row) return;
    selected()?.classList.remove("selected");
    row.classList.add("selected");
    row.querySelector("a.open")?.focus();
  }

  function move(step) {
    const all = rows();
    if (all.length === 0) return;
    const current = selected();
    const at = current ? all.indexOf(current) : -1;
    const next = Math.min(all.length - 1, Math.max(0, at + step));
    select(all[at === -1 ? 0 : next]);
  }

  function updateRow(row, result) {
    row.className = row.className.replace(/status-[a-z_]+/, "status-" + result.status);
    const label = row.querySelector(".status-label");
    if (label) label.textContent = result.status_label;
    let owner = row.querySelector(".owner");
    if (result.owner) {
      if (!owner) {
        owner = document.createElement("span");
        owner.className = "owner";
        label?.after(" ", owner);
      }
      owner.textContent = "owner " + result.owner;
    } else if (owner) {
      owner.remove();
    }
  }

  async function rowAction(row, action) {
    if (!row) return;
    const id = row.dataset.id;
    try {
      const result = await post(`/items/${id}/${action}`);
      updateRow(row, result);
      row.querySelector(`.quick button[data-action="${action}"]`)?.closest("form")?.remove();
      announce(result.message);
    } catch (error) {
      announce(error.message);
      window.alert(error.message);
    }
  }

  if (list) {
    list.addEventListener("submit", (event) => {
      const form = event.target;
      const button = form.querySelector("button[data-action]");
      if (!button) return;
      event.preventDefault();
      const row = form.closest("li.item");
      select(row);
      rowAction(row, button.dataset.action);
    });
    list.addEventListener("focusin", (event) => {
      const row = event.target.closest?.("li.item");
      if (row && !row.classList.contains("selected")) {
        selected()?.classList.remove("selected");
        row.classList.add("selected");
      }
    });
  }

  // New items arrive over server-sent events; the first page merges them in
  // at the top without moving the officer's selection or focus.
  async function refreshRows() {
    const response = await fetch("/inbox/rows" + window.location.search, {
      headers: { "Accept": "text/html" }, credentials: "same-origin",
    });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const fresh = Array.from(template.content.querySelectorAll("li.item"));
    const shown = new Map(rows().map((r) => [r.dataset.id, r]));
    const arrivals = [];
    for (const row of fresh) {
      const existing = shown.get(row.dataset.id);
      if (existing) {
        if (!existing.contains(document.activeElement) || existing.querySelector("a.open") === document.activeElement) {
          const label = row.querySelector(".status-label")?.textContent;
          updateRow(existing, {
            status: (row.className.match(/status-([a-z_]+)/) || [])[1] || "new",
            status_label: label || "",
            owner: row.querySelector(".owner")?.textContent.replace(/^owner /, "") || null,
          });
        }
      } else {
        arrivals.push(row);
      }
    }
    const newestShown = Math.max(0, ...rows().map((r) => Number(r.dataset.id)));
    const fresher = arrivals.filter((r) => Number(r.dataset.id) > newestShown);
    if (fresher.length === 0) return;
    const before = list.getBoundingClientRect().top;
    const heightBefore = list.scrollHeight;
    const first = list.firstElementChild;
    for (const row of fresher) {
      row.classList.add("arrived");
      list.insertBefore(row, first);
    }
    // Keep what the officer is looking at where it was.
    if (window.scrollY > 0 && before < 0) {
      window.scrollBy(0, list.scrollHeight - heightBefore);
    }
    document.querySelector(".empty")?.remove();
    announce(`${fresher.length} new item${fresher.length === 1 ? "" : "s"} at the top of the inbox`);
  }

  if (list && list.dataset.firstPage === "true" && window.EventSource) {
    let lastItem = null;
    const source = new EventSource("/events");
    source.addEventListener("change", (event) => {
      const marks = JSON.parse(event.data);
      if (lastItem === null) {
        lastItem = marks.item;
        return;
      }
      lastItem = marks.item;
      refreshRows().catch(() => {});
    });
    window.addEventListener("pagehide", () => source.close());
  }

  // ---------------------------------------------------------------- item page
  const itemPage = document.querySelector(".item-page");
  const composer = document.getElementById("reply-form");
  const textArea = document.getElementById("reply-text");
  const picker = document.getElementById("template");
  const welsh = document.getElementById("welsh");

  function showCheck(check) {
    const count = document.querySelector("#reply-count [data-count]");
    const reason = document.querySelector("#reply-count [data-reason]");
    const cost = document.querySelector("#reply-cost [data-cost]");
    if (count) count.textContent = String(check.weighted_length);
    if (reason) reason.textContent = check.reason ? ": " + check.reason : "";
    if (cost) cost.textContent = check.cost;
    document.getElementById("reply-count")?.classList.toggle("over", !check.valid);
  }

  // Checks can overlap (typing a template's name in the picker selects
  // several in turn); only the latest one asked may change the composer.
  let latestCheck = 0;

  async function check(body) {
    const id = itemPage.dataset.itemId;
    const ticket = ++latestCheck;
    const result = await post(`/items/${id}/reply/check`, body);
    return ticket === latestCheck ? result : null;
  }

  if (itemPage && composer && textArea) {
    let timer = null;
    textArea.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(async () => {
        try {
          const result = await check({ text: textArea.value });
          if (result) showCheck(result);
        } catch (_) { /* the server checks again on send */ }
      }, 120);
    });
    const fill = async () => {
      const name = picker?.value || "";
      const hidden = document.getElementById("reply-template");
      if (hidden) hidden.value = name;
      if (!name) return;
      try {
        const result = await check({ template: name, text: "", welsh: welsh?.checked ? "1" : undefined });
        if (!result) return; // a later choice or edit superseded this one
        textArea.value = result.text;
        showCheck(result);
        announce("Template filled in: " + result.weighted_length + " of " + result.max + " characters");
      } catch (error) {
        announce(error.message);
      }
    };
    picker?.addEventListener("change", fill);
    welsh?.addEventListener("change", fill);
    document.getElementById("use-template")?.addEventListener("click", (event) => {
      event.preventDefault();
      fill();
      textArea.focus();
    });
  }

  function clickAction(action) {
    const button = document.querySelector(`.item-page .actions button[data-action="${action}"]`);
    if (button) button.click();
    else announce(`This item cannot be ${action === "claim" ? "claimed" : "dismissed"} now.`);
  }

  // ---------------------------------------------------------------- keys
  document.querySelector("[data-help]")?.addEventListener("click", () => help?.showModal());

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    if (help?.open) return; // the dialog handles Esc itself
    const key = event.key;
    const row = selected();
    let handled = true;
    if (key === "?") help?.showModal();
    else if (key === "/") document.getElementById("q")?.focus();
    else if (key === "u") window.location.href = "/";
    else if (list && (key === "j" || key === "ArrowDown" && row)) move(1);
    else if (list && (key === "k" || key === "ArrowUp" && row)) move(-1);
    else if (list && key === "n") select(rows()[0]);
    else if (list && key === "o" && row) window.location.href = row.querySelector("a.open").href;
    else if (list && key === "c" && row) rowAction(row, "claim");
    else if (list && key === "d" && row) rowAction(row, "dismiss");
    else if (list && key === "x" && row) {
      const box = row.querySelector("input.pick");
      if (box) {
        box.checked = !box.checked;
        announce(`Item ${row.dataset.id} ${box.checked ? "ticked" : "unticked"}`);
      }
    }
    else if (list && key === "r" && row) window.location.href = `/items/${row.dataset.id}#composer`;
    else if (itemPage && key === "c") clickAction("claim");
    else if (itemPage && key === "d") clickAction("dismiss");
    else if (itemPage && key === "r") {
      document.getElementById("composer")?.scrollIntoView();
      (textArea || document.getElementById("composer"))?.focus();
    }
    else handled = false;
    if (handled) event.preventDefault();
  });

  if (itemPage && window.location.hash === "#composer") {
    // The browser focuses the fragment's target (the focusable #composer
    // section) once the page has parsed, after this script has run: focus
    // the text again when the page has loaded.
    const focusText = () => (textArea || document.getElementById("composer"))?.focus();
    focusText();
    window.addEventListener("load", focusText, { once: true });
  }
})();
