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
  let bulkUpdate = () => {};

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
    if (result.owner_label || result.owner) {
      if (!owner) {
        owner = document.createElement("span");
        owner.className = "owner";
        label?.after(" ", owner);
      }
      owner.textContent = result.owner_label || result.owner;
    } else if (owner) {
      owner.remove();
    }
  }

  // Counts the rows changed by the officer's own actions, so that a live
  // refresh whose answer may predate one of them does not undo it on screen.
  let rowEdits = 0;

  async function rowAction(row, action) {
    if (!row) return;
    const id = row.dataset.id;
    try {
      const result = await post(`/items/${id}/${action}`);
      rowEdits += 1;
      updateRow(row, result);
      row.querySelector(`.quick button[data-action="${action}"]`)?.closest("form")?.remove();
      notify(result.message, result.undo);
      if (row.classList.contains("current") && wide.matches) openItem(id).catch(() => {});
    } catch (error) {
      notify(error.message);
    }
  }

  // A message in the page (and read out), where a form's answer would be;
  // with `undo` (the changes' audit ids), an Undo button for ten seconds.
  const UNDO_SECONDS = 10;
  function notify(message, undo) {
    let notice = document.getElementById("notice");
    if (!notice) {
      notice = document.createElement("div");
      notice.id = "notice";
      notice.className = "flash";
      notice.setAttribute("role", "status");
      const host = document.querySelector(".queue") || document.getElementById("main");
      host?.prepend(notice);
    }
    notice.textContent = message;
    if (undo && undo.length > 0) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.undoButton = "";
      button.textContent = "Undo";
      button.addEventListener("click", () => undoChanges(undo));
      notice.append(" ", button);
      window.setTimeout(() => button.remove(), UNDO_SECONDS * 1000);
    }
  }

  async function undoChanges(changes) {
    document.querySelectorAll("[data-undo-button]").forEach((b) => b.remove());
    try {
      const response = await fetch("/undo", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRF-Token": csrf, "Accept": "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ changes: Array.isArray(changes) ? changes.join(",") : String(changes) }),
      });
      const result = await response.json();
      notify(result.message);
      if (list) await refreshRows();
      const open = document.querySelector("#pane .item-page")?.dataset.itemId;
      if (open && wide.matches) await openItem(open);
    } catch (error) {
      notify("Undo failed: " + error.message);
    }
  }

  // The Undo a form's answer offers lasts ten seconds too.
  document.querySelectorAll("form[data-undo]").forEach((form) => {
    window.setTimeout(() => form.remove(), UNDO_SECONDS * 1000);
  });

  // ---------------------------------------------------------------- split view
  // From 75rem wide the inbox shows the chosen item beside the list; the
  // address follows the choice (?item=ID), so back, forward, reload and a
  // pasted link show the same item.
  const pane = document.getElementById("pane");
  const wide = window.matchMedia("(min-width: 75rem)");

  function addressWith(id) {
    const url = new URL(window.location.href);
    url.searchParams.delete("done");
    if (id) url.searchParams.set("item", id);
    else url.searchParams.delete("item");
    return url.pathname + url.search;
  }

  function markCurrent(id) {
    for (const row of rows()) {
      const current = row.dataset.id === String(id);
      row.classList.toggle("current", current);
      if (current) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }

  let paneTicket = 0;
  async function openItem(id, options = {}) {
    if (!pane) return;
    const ticket = ++paneTicket;
    const address = addressWith(id);
    const response = await fetch(`/items/${id}?pane=1&list=${encodeURIComponent(address)}`, {
      headers: { "Accept": "text/html" }, credentials: "same-origin",
    });
    if (ticket !== paneTicket) return; // a later choice won
    if (!response.ok) {
      announce(`Item ${id} could not be opened (${response.status}).`);
      return;
    }
    pane.innerHTML = await response.text();
    pane.scrollTop = 0;
    document.querySelector(".desk")?.classList.add("has-item");
    markCurrent(id);
    initItem(pane);
    showWaiting();
    if (options.push) window.history.pushState({ item: String(id) }, "", address);
    if (options.focus === "composer") focusComposer();
    else if (options.focus === "item") pane.querySelector(".item-title")?.focus();
    announce(`Item ${id} is open beside the list`);
  }

  function closeItem() {
    if (!pane) return;
    pane.innerHTML = '<p class="placeholder">Choose an item to see its conversation, facts, reply composer, notes and history here.</p>';
    document.querySelector(".desk")?.classList.remove("has-item");
    markCurrent(null);
  }

  window.addEventListener("popstate", () => {
    if (!list || !pane) return;
    const id = new URL(window.location.href).searchParams.get("item");
    if (id && wide.matches) openItem(id).catch(() => {});
    else if (!id) closeItem();
    else window.location.reload();
  });

  if (list && pane) {
    list.addEventListener("click", (event) => {
      const link = event.target.closest?.("a.open");
      if (!link || !wide.matches || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      const row = link.closest("li.item");
      select(row);
      openItem(row.dataset.id, { push: true }).catch(() => {});
    });
  }

  // Filters beyond search and order fold behind a button; those set show as
  // chips above the list (and in the button's count), so the rows stay in view.
  const foldButton = document.getElementById("more-filters");
  const facets = document.getElementById("facets");
  if (foldButton && facets) {
    const form = foldButton.closest("form");
    const setFolded = (folded) => {
      form.classList.toggle("folded", folded);
      foldButton.setAttribute("aria-expanded", String(!folded));
    };
    foldButton.hidden = false;
    setFolded(true);
    foldButton.addEventListener("click", () => setFolded(!form.classList.contains("folded")));
    document.getElementById("sort")?.addEventListener("change", () => form.requestSubmit());
  }

  // ---------------------------------------------------------------- bulk
  // The bulk bar: its controls show once items are ticked (or the page or
  // the whole view is chosen); "All on this page" ticks every row, and with
  // every row ticked the bar offers the whole view, as mail clients do. The
  // server counts and words the action first (preview=1): more than 50 items
  // are changed only once confirmed in the page. Without this script the
  // bar shows all its fields and the server asks with a page of its own.
  const bulk = document.getElementById("bulk");
  const confirmDialog = document.getElementById("bulk-confirm");
  let bulkField = () => {};
  if (bulk && list) {
    const scope = bulk.querySelector("#bulk-scope");
    const action = bulk.querySelector("#bulk-action");
    const pickAll = bulk.querySelector("#pick-all");
    const controls = bulk.querySelector(".bulk-controls");
    const wholeView = bulk.querySelector("#whole-view");
    const confirmed = bulk.querySelector('input[name="confirmed"]');
    const viewOption = scope.querySelector('option[value="view"]');
    const apply = bulk.querySelector('button[type="submit"]');
    const ticks = () => Array.from(list.querySelectorAll("input.pick"));
    const tickedCount = () => ticks().filter((b) => b.checked).length;
    bulk.classList.add("scripted");
    pickAll.closest("label").hidden = false;

    const showNeeds = () => {
      for (const field of bulk.querySelectorAll("[data-needs]")) {
        field.hidden = field.dataset.needs !== action.value;
      }
    };
    const offerWholeView = (all) => {
      wholeView.replaceChildren();
      const more = viewOption ? Number(viewOption.dataset.count) : 0;
      const offer = more > all && all > 0 && tickedCount() === all && scope.value !== "view";
      wholeView.hidden = !offer;
      if (!offer) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = `Act on all ${more.toLocaleString("en-GB")} items in this view`;
      button.addEventListener("click", () => {
        scope.value = "view";
        update();
        action.focus();
        announce(`Acting on all ${more} items in this view`);
      });
      wholeView.append(`All ${all} items on this page are ticked. `, button);
    };
    const update = () => {
      const n = tickedCount();
      const all = ticks().length;
      scope.querySelector('option[value="ticked"]').textContent = n === 1 ? "1 ticked item" : `${n} ticked items`;
      pickAll.checked = all > 0 && n === all;
      pickAll.indeterminate = n > 0 && n < all;
      controls.hidden = n === 0 && scope.value === "ticked";
      offerWholeView(all);
      showNeeds();
    };
    // Ticking or unticking acts on the ticked items again.
    list.addEventListener("change", (event) => {
      if (event.target.matches?.("input.pick")) scope.value = "ticked";
      update();
    });
    const tickAll = (on) => {
      for (const box of ticks()) box.checked = on;
      scope.value = "ticked";
      update();
    };
    pickAll.addEventListener("change", () => tickAll(pickAll.checked));
    scope.addEventListener("change", update);
    action.addEventListener("change", showNeeds);
    bulkUpdate = update;
    update();

    // a, t, p: the action, with the focus on what it needs.
    bulkField = (name) => {
      if (tickedCount() === 0 && scope.value === "ticked") {
        const row = selected();
        const box = row?.querySelector("input.pick");
        if (!box) {
          announce("Tick items first (x), or all on this page (Shift+A)");
          return;
        }
        box.checked = true;
      }
      action.value = name;
      update();
      const field = bulk.querySelector(`[data-needs="${name}"] select, [data-needs="${name}"] input`);
      (field || action).focus();
    };
    window.addEventListener("pageshow", () => { confirmed.value = ""; });

    const ask = (result) => {
      confirmDialog.querySelector("#bulk-confirm-title").textContent = result.question;
      confirmDialog.querySelector("#bulk-confirm-text").textContent =
        `This changes ${result.reach}. Items that cannot take it are skipped and named afterwards` +
        (result.undoable === false ? ". Each team email goes at once and cannot be taken back." : ", and the notice that follows offers Undo for 10 seconds.");
      const yes = confirmDialog.querySelector("[data-confirm]");
      yes.textContent = result.button;
      yes.onclick = () => {
        confirmed.value = String(result.count);
        confirmDialog.close();
        bulk.submit();
      };
      confirmDialog.showModal();
      yes.focus();
    };
    confirmDialog.querySelector("[data-cancel]").addEventListener("click", () => confirmDialog.close());
    confirmDialog.addEventListener("close", () => {
      if (!confirmed.value) apply.focus();
    });

    bulk.addEventListener("submit", async (event) => {
      if (confirmed.value) return;
      event.preventDefault();
      if (scope.value === "page") {
        // The page as it is now, with the items that arrived while it was open.
        bulk.querySelectorAll('input[name="page"]').forEach((i) => i.remove());
        for (const row of rows()) {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = "page";
          input.value = row.dataset.id;
          bulk.append(input);
        }
      }
      const data = new URLSearchParams(new FormData(bulk));
      data.set("preview", "1");
      try {
        const response = await fetch("/items/bulk", {
          method: "POST", credentials: "same-origin", body: data,
          headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
        });
        const result = await response.json();
        if (!response.ok) {
          notify(result.message || `The desk refused: ${response.status}`);
          return;
        }
        if (result.confirm) {
          ask(result);
          return;
        }
        confirmed.value = String(result.count);
        bulk.submit();
      } catch (error) {
        notify("The bulk action could not be checked: " + error.message);
      }
    });
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

  // The views' counts and the tab title ("(3 new) …"), live.
  function updateCounts(header) {
    const counts = new Map(header.split(",").filter(Boolean).map((pair) => pair.split("=")));
    for (const link of document.querySelectorAll(".tabs a[data-view]")) {
      const n = counts.get(link.dataset.view.replace(/ /g, "_"));
      const count = link.querySelector(".count");
      if (n !== undefined && count) count.textContent = grouped(n);
    }
    // The bulk bar's "All N in this view" follows the current view's count.
    const current = document.querySelector(".tabs a[aria-current=page]")?.dataset.view;
    const option = document.querySelector('#bulk-scope option[value="view"]');
    const n = current && counts.get(current.replace(/ /g, "_"));
    if (option && n !== undefined && n !== null) {
      option.dataset.count = n;
      option.textContent = `All ${grouped(n)} in this view`;
      bulkUpdate();
    }
    const fresh = Number(counts.get("new") || "0");
    const title = document.title.replace(/^\([\d,]+ new\) /, "");
    document.title = fresh > 0 ? `(${grouped(fresh)} new) ${title}` : title;
  }

  // A count as the desk writes it: 12,345 (the server's figures::thousands).
  function grouped(n) {
    return Number(n).toLocaleString("en-GB");
  }

  // New items arrive over server-sent events; the first page merges them in
  // at the top without moving the officer's selection or focus.
  async function refreshRows() {
    const edits = rowEdits;
    const response = await fetch("/inbox/rows" + window.location.search, {
      headers: { "Accept": "text/html" }, credentials: "same-origin",
    });
    if (!response.ok) return;
    updateCounts(response.headers.get("X-Counts") || "");
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const fresh = Array.from(template.content.querySelectorAll("li.item"));
    const shown = new Map(rows().map((r) => [r.dataset.id, r]));
    // An action answered while this was on its way may be newer than what
    // it read: the rows keep what the action said (its own change event
    // brings the next refresh).
    const stale = edits !== rowEdits;
    const arrivals = [];
    for (const row of fresh) {
      const existing = shown.get(row.dataset.id);
      if (existing) {
        if (stale) continue;
        if (!existing.contains(document.activeElement) || existing.querySelector("a.open") === document.activeElement) {
          const label = row.querySelector(".status-label")?.textContent;
          updateRow(existing, {
            status: (row.className.match(/status-([a-z_]+)/) || [])[1] || "new",
            status_label: label || "",
            owner: row.querySelector(".owner")?.textContent || null,
          });
        }
      } else {
        arrivals.push(row);
      }
    }
    const newestShown = Math.max(0, ...rows().map((r) => Number(r.dataset.id)));
    const fresher = arrivals.filter((r) => Number(r.dataset.id) > newestShown);
    if (fresher.length === 0) return;
    // Keep what the officer is looking at where it was, once she has
    // scrolled into the list: the first row in view stays where it is.
    const scroller = wide.matches ? list.closest(".queue") : null;
    const scrolled = scroller ? scroller.scrollTop > 0 : window.scrollY > 0;
    const top = scroller ? scroller.getBoundingClientRect().top : 0;
    const anchor = rows().find((r) => r.getBoundingClientRect().bottom > top);
    const anchorTop = anchor?.getBoundingClientRect().top;
    // Each arrival goes where the list's order puts it: before the next row
    // of the fresh first page that is already shown (newest first: the top).
    let atTop = 0;
    for (const row of fresher) {
      const at = fresh.indexOf(row);
      const next = fresh.slice(at + 1).map((r) => shown.get(r.dataset.id)).find(Boolean) || null;
      if (next === null && at >= rows().length) continue; // past the first page
      row.classList.add("arrived");
      list.insertBefore(row, next);
      if (row === list.firstElementChild) atTop += 1;
    }
    if (scrolled && anchor && anchorTop !== undefined) {
      const moved = anchor.getBoundingClientRect().top - anchorTop;
      if (moved !== 0) (scroller || window).scrollBy(0, moved);
    }
    document.querySelector(".empty")?.remove();
    bulkUpdate();
    const n = fresher.length;
    announce(`${n} new item${n === 1 ? "" : "s"}${atTop === n ? " at the top of the inbox" : " in the list, in order"}`);
  }

  // A manual reply waits for the officer's post to appear in the council's
  // timeline; when the desk records a change, the item is read again and
  // flips to replied with its link once placewatch has found it.
  const waitingManual = () => document.querySelector("[data-waiting-manual]");
  async function refreshItem() {
    const view = document.querySelector(".item-view .item-page");
    const text = document.getElementById("reply-text");
    if (!view || !waitingManual()) return;
    if (text && (text.value !== "" || document.activeElement === text)) return;
    const id = view.dataset.itemId;
    if (pane?.contains(view)) {
      await openItem(id);
      return;
    }
    const response = await fetch(`/items/${id}?pane=1`, { credentials: "same-origin" });
    if (response.ok && !(await response.text()).includes("data-waiting-manual")) {
      window.location.reload();
    }
  }

  // After "Open in X" the item says it waits for the reply, through reloads
  // of the item too (remembered for the tab's session).
  const WAITING = "Waiting for your reply to appear in X: placewatch links it here as soon as it finds it in the council's timeline.";
  function showWaiting() {
    const hint = waitingManual();
    const id = hint?.closest(".item-view")?.querySelector(".item-page")?.dataset.itemId;
    if (hint && id && window.sessionStorage.getItem("opened-in-x:" + id)) hint.textContent = WAITING;
  }
  document.addEventListener("click", (event) => {
    if (!event.target.closest?.("#open-in-x")) return;
    const id = event.target.closest(".item-view")?.querySelector(".item-page")?.dataset.itemId;
    if (id) window.sessionStorage.setItem("opened-in-x:" + id, "1");
    showWaiting();
  });
  showWaiting();

  // The bell in the header: the officer's unread notifications, kept up to
  // date by the live stream, and said aloud when the count goes up.
  const bell = document.querySelector("[data-bell]");
  const unreadWords = (n) =>
    n === 0 ? "No unread notifications" : n === 1 ? "1 unread notification" : n + " unread notifications";
  function showUnread(n) {
    const count = bell?.querySelector("[data-bell-count]");
    if (!count) return;
    const before = Number(count.textContent);
    if (before === n) return;
    count.textContent = String(n);
    count.hidden = n === 0;
    bell.classList.toggle("has-unread", n > 0);
    const words = bell.querySelector("[data-bell-words]");
    if (words) words.textContent = ": " + unreadWords(n);
    const page = document.querySelector("[data-unread-words]");
    if (page) page.textContent = unreadWords(n) + ".";
    if (n > before) announce(unreadWords(n));
  }

  const listening = list && list.dataset.firstPage === "true";
  if ((listening || waitingManual() || pane || bell) && window.EventSource) {
    let lastItem = null;
    let lastAudit = null;
    const source = new EventSource("/events");
    source.addEventListener("change", (event) => {
      const marks = JSON.parse(event.data);
      if (typeof marks.unread === "number") showUnread(marks.unread);
      const first = lastItem === null;
      const audited = marks.audit !== lastAudit;
      lastItem = marks.item;
      lastAudit = marks.audit;
      if (first) return;
      if (listening) refreshRows().catch(() => {});
      if (audited) refreshItem().catch(() => {});
    });
    window.addEventListener("pagehide", () => source.close());
  }

  // ---------------------------------------------------------------- item
  // The item's composer, on its own page or in the pane beside the list.
  // Nothing typed yet is not an error: the count says so only once there is text.
  function showCheck(root, check) {
    const count = root.querySelector("#reply-count [data-count]");
    const reason = root.querySelector("#reply-count [data-reason]");
    const cost = root.querySelector("#reply-cost [data-cost]");
    const blank = check.text === "";
    if (count) count.textContent = String(check.weighted_length);
    if (reason) reason.textContent = check.reason && !blank ? ": " + check.reason : "";
    if (cost) cost.textContent = check.cost;
    root.querySelector("#reply-count")?.classList.toggle("over", !check.valid && !blank);
    const link = root.querySelector("#reply-link");
    if (link) {
      link.hidden = !check.link_warning;
      const words = link.querySelector("[data-link]");
      if (words) words.textContent = check.link_warning || "";
    }
    // Over X's limit nothing can be sent: Send waits for a shorter text.
    const send = root.querySelector("#send");
    if (send) send.disabled = check.weighted_length > check.max;
  }

  // Checks can overlap (typing a template's name in the picker selects
  // several in turn); only the latest one asked may change the composer.
  let latestCheck = 0;

  async function check(id, body) {
    const ticket = ++latestCheck;
    const result = await post(`/items/${id}/reply/check`, body);
    return ticket === latestCheck ? result : null;
  }

  // An assignment picker (a native select of officers and teams, which
  // works alone) gets a box above it that filters its choices as one types:
  // the first choice left is chosen, the number left is read out, and Down
  // moves to the list. Enter sends the form only when something is chosen.
  function enhancePickers(root) {
    for (const select of root.querySelectorAll("select[data-picker]")) {
      if (select.dataset.enhanced) continue;
      select.dataset.enhanced = "1";
      const filter = document.createElement("input");
      filter.type = "search";
      filter.id = select.id + "-filter";
      filter.className = "picker-filter";
      filter.autocomplete = "off";
      filter.spellcheck = false;
      filter.placeholder = "Type a name or team";
      filter.setAttribute("aria-controls", select.id);
      filter.setAttribute("aria-describedby", select.id + "-found");
      const label = document.createElement("label");
      label.htmlFor = filter.id;
      label.className = "visually-hidden";
      label.textContent = "Find an officer or team";
      const found = document.createElement("span");
      found.id = select.id + "-found";
      found.className = "visually-hidden";
      found.setAttribute("aria-live", "polite");
      select.before(label, filter);
      select.after(found);
      const choices = () => Array.from(select.options).filter((o) => o.value !== "");
      filter.addEventListener("input", () => {
        const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
        let first = null;
        let n = 0;
        for (const option of choices()) {
          const text = (option.textContent + " " + option.value).toLowerCase();
          const match = words.every((w) => text.includes(w));
          option.hidden = !match;
          option.disabled = !match;
          if (match) {
            n += 1;
            first = first || option;
          }
        }
        for (const group of select.querySelectorAll("optgroup")) {
          group.hidden = !Array.from(group.children).some((o) => !o.hidden);
        }
        if (!select.selectedOptions[0] || select.selectedOptions[0].hidden || words.length > 0) {
          select.value = first ? first.value : "";
        }
        found.textContent = n === 1 ? `1 match: ${first.textContent}` : `${n} matches`;
      });
      filter.addEventListener("keydown", (event) => {
        if (event.key === "ArrowDown") {
          event.preventDefault();
          select.focus();
        } else if (event.key === "Enter" && !select.value) {
          event.preventDefault();
          announce("Nothing matches: type less, or choose from the list");
        }
      });
    }
  }

  function initItem(root) {
    enhancePickers(root);
    const page = root.querySelector(".item-page");
    const composer = root.querySelector("#reply-form");
    const textArea = root.querySelector("#reply-text");
    const picker = root.querySelector("#template");
    const welsh = root.querySelector("#welsh");
    if (!page || !composer || !textArea) return;
    const id = page.dataset.itemId;
    let timer = null;
    textArea.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(async () => {
        try {
          const result = await check(id, { text: textArea.value });
          if (result) showCheck(root, result);
        } catch (_) { /* the server checks again on send */ }
      }, 120);
    });
    const fill = async () => {
      const name = picker?.value || "";
      const hidden = root.querySelector("#reply-template");
      if (hidden) hidden.value = name;
      if (!name) return;
      try {
        const result = await check(id, { template: name, text: "", welsh: welsh?.checked ? "1" : undefined });
        if (!result) return; // a later choice or edit superseded this one
        textArea.value = result.text;
        showCheck(root, result);
        announce("Template filled in: " + result.weighted_length + " of " + result.max + " characters");
      } catch (error) {
        announce(error.message);
      }
    };
    picker?.addEventListener("change", fill);
    welsh?.addEventListener("change", fill);
    // A link that raises the price is sent only once confirmed.
    composer.addEventListener("submit", (event) => {
      const link = root.querySelector("#reply-link");
      if (link && !link.hidden && !window.confirm(link.querySelector("[data-link]").textContent + " Send it?")) {
        event.preventDefault();
      }
    });
    root.querySelector("#use-template")?.addEventListener("click", (event) => {
      event.preventDefault();
      fill();
      textArea.focus();
    });
  }

  function focusComposer() {
    const composer = document.getElementById("composer");
    composer?.scrollIntoView();
    (document.getElementById("reply-text") || composer)?.focus();
  }

  initItem(document);
  const itemPage = document.querySelector("main > .item-view");
  const textArea = document.getElementById("reply-text");

  // a, t, p on an item: its priority, tag and assignment forms.
  function itemField(name) {
    const view = pane?.contains(document.activeElement) ? pane : document;
    const more = view.querySelector("#item-more");
    if (!more) return false;
    more.open = true;
    const id = { assign: "#item-owner-filter, #item-owner", tag: "#item-tag", priority: "#item-priority" }[name];
    view.querySelector(id)?.focus();
    return true;
  }

  function clickAction(action) {
    const button = document.querySelector(`.item-page .actions button[data-action="${action}"]`);
    if (button) button.click();
    else announce(`This item cannot be ${action === "claim" ? "claimed" : "dismissed"} now.`);
  }

  // ---------------------------------------------------------------- times
  // A <time data-when> is written by the server in UTC, relative and then the
  // clock ("in 40 s (14:05:12 UTC)"). Here it reads in the browser's time
  // zone and its relative part stays current, every second. The status
  // page's live parts ([data-live] with an id) are fetched again every 10 s.
  const lang = document.documentElement.lang || undefined;

  // As the server's render::relative: "in 40 s", "now", "3 min ago",
  // "in 2 h 5 min", "4 days ago".
  function relative(secs) {
    const n = Math.abs(secs);
    const future = secs > 0;
    if (n === 0) return future ? "now" : "just now";
    let span;
    if (n < 60) span = `${n} s`;
    else if (n < 3600) span = `${Math.floor(n / 60)} min`;
    else if (n < 86400) {
      const h = Math.floor(n / 3600);
      const m = Math.floor((n % 3600) / 60);
      span = m > 0 && h < 10 ? `${h} h ${m} min` : `${h} h`;
    } else {
      const d = Math.floor(n / 86400);
      span = d === 1 ? "1 day" : `${d} days`;
    }
    return future ? `in ${span}` : `${span} ago`;
  }

  const dayKey = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

  // The local clock time, with the day when it is not today's and the zone:
  // "14:05 GMT", "tomorrow 00:10 BST", "3 Dec 14:05 GMT".
  function clock(at, now, seconds) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
    if (seconds) options.second = "2-digit";
    const time = new Intl.DateTimeFormat(lang, options).format(at);
    const day = (offset) => {
      const d = new Date(now);
      d.setDate(d.getDate() + offset);
      return dayKey(d);
    };
    const key = dayKey(at);
    if (key === day(0)) return time;
    if (key === day(1)) return `tomorrow ${time}`;
    if (key === day(-1)) return `yesterday ${time}`;
    const date = { day: "numeric", month: "short" };
    if (at.getFullYear() !== now.getFullYear()) date.year = "numeric";
    return `${new Intl.DateTimeFormat(lang, date).format(at)} ${time}`;
  }

  // Whether something scheduled ([data-due], a poll) has passed: the live
  // parts are then fetched again at once for the next one.
  let overdue = false;

  function showTimes(root) {
    const now = new Date();
    overdue = false;
    for (const el of root.querySelectorAll("time[data-when]")) {
      const at = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(at.getTime())) continue;
      // Whole seconds away from now: a moment still ahead is at least
      // "in 1 s", one just gone "just now".
      const diff = (at - now) / 1000;
      const secs = diff > 0 ? Math.ceil(diff) : Math.trunc(diff);
      const seconds = el.hasAttribute("data-seconds");
      let text = `${relative(secs)} (${clock(at, now, seconds)})`;
      if (el.hasAttribute("data-due") && diff <= 0) {
        text = `due now (${clock(at, now, seconds)})`;
        if (secs <= -2) overdue = true;
      }
      if (el.textContent !== text) el.textContent = text;
    }
  }

  let lastRefresh = Date.now();
  if (document.querySelector("time[data-when]")) {
    showTimes(document);
    window.setInterval(() => {
      showTimes(document);
      if (overdue && Date.now() - lastRefresh > 3000) refreshLive().catch(() => {});
    }, 1000);
  }

  async function refreshLive() {
    if (document.hidden) return;
    lastRefresh = Date.now();
    const response = await fetch(window.location.pathname, {
      headers: { "Accept": "text/html" }, credentials: "same-origin",
    });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const part of document.querySelectorAll("[data-live][id]")) {
      const update = fresh.getElementById(part.id);
      // Not under the officer's focus, and not from another page (a login).
      if (!update || !update.hasAttribute("data-live") || part.contains(document.activeElement)) continue;
      part.innerHTML = update.innerHTML;
    }
    showTimes(document);
  }

  if (document.querySelector("[data-live][id]")) {
    window.setInterval(() => {
      if (Date.now() - lastRefresh >= 9000) refreshLive().catch(() => {});
    }, 10000);
  }

  // ---------------------------------------------------------------- presence
  // The open item is reported every few seconds (replying while the officer
  // types in its composer); the rows in view and the open item show who
  // else is on them ("Priya Shah is replying").
  let lastTyped = 0;
  document.addEventListener("input", (event) => {
    if (event.target.id === "reply-text") {
      const was = lastTyped;
      lastTyped = Date.now();
      if (lastTyped - was > 5000) reportPresence();
    }
  });
  function openItemId() {
    return document.querySelector(".item-view .item-page")?.dataset.itemId || null;
  }
  async function reportPresence() {
    const item = openItemId();
    if (!item || document.hidden) return;
    const activity = Date.now() - lastTyped < 15000 ? "replying" : "viewing";
    try { await post("/presence", { item: Number(item), activity }); } catch (_) { /* next time */ }
  }
  async function showPresence() {
    const ids = rows().map((r) => r.dataset.id);
    const item = openItemId();
    if (item && !ids.includes(item)) ids.push(item);
    if (ids.length === 0 || document.hidden) return;
    const response = await fetch(`/presence?items=${ids.join(",")}`, {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
    });
    if (!response.ok) return;
    const here = await response.json();
    for (const row of rows()) {
      const who = here[row.dataset.id];
      let tag = row.querySelector(".presence");
      if (!who) { tag?.remove(); continue; }
      if (!tag) {
        tag = document.createElement("span");
        tag.className = "presence";
        row.querySelector(".who .open")?.after(tag);
      }
      tag.textContent = who[0].words;
    }
    const view = document.querySelector(".item-view");
    if (view) {
      const who = item ? here[item] : null;
      let note = view.querySelector("#presence-note");
      if (!who) { note?.remove(); return; }
      if (!note) {
        note = document.createElement("p");
        note.id = "presence-note";
        note.className = "presence-note";
        note.setAttribute("role", "status");
        view.querySelector(".item-title")?.after(note);
      }
      note.textContent = who.map((h) => h.words).join("; ") + ".";
    }
  }
  if (list || openItemId()) {
    window.setInterval(() => { reportPresence(); showPresence().catch(() => {}); }, 5000);
    reportPresence();
    showPresence().catch(() => {});
  }

  // ---------------------------------------------------------------- keys
  document.querySelector("[data-help]")?.addEventListener("click", () => help?.showModal());

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    if (help?.open || confirmDialog?.open) return; // a dialog handles Esc itself
    const key = event.key;
    const row = selected();
    let handled = true;
    if (key === "z" && document.querySelector("[data-undo-button], form[data-undo] button")) {
      document.querySelector("[data-undo-button], form[data-undo] button").click();
    }
    else if (key === "?") help?.showModal();
    else if (key === "/") document.getElementById("q")?.focus();
    else if (key === "u") window.location.href = "/";
    else if (list && (key === "j" || key === "ArrowDown" && row)) move(1);
    else if (list && (key === "k" || key === "ArrowUp" && row)) move(-1);
    else if (list && key === "n") select(rows()[0]);
    else if (list && key === "o" && row) {
      if (wide.matches && pane) openItem(row.dataset.id, { push: true }).catch(() => {});
      else window.location.href = row.querySelector("a.open").href;
    }
    else if (list && key === "c" && row) rowAction(row, "claim");
    else if (list && key === "d" && row) rowAction(row, "dismiss");
    else if (list && key === "A" && document.getElementById("pick-all")) {
      const all = document.getElementById("pick-all");
      all.checked = !all.checked;
      all.dispatchEvent(new Event("change"));
      announce(all.checked ? `All ${rows().length} items on this page ticked` : "Nothing ticked");
    }
    else if (["a", "t", "p"].includes(key) && (itemPage || pane?.contains(document.activeElement))) {
      handled = itemField({ a: "assign", t: "tag", p: "priority" }[key]);
    }
    else if (list && ["a", "t", "p"].includes(key)) bulkField({ a: "assign", t: "tag", p: "priority" }[key]);
    else if (list && key === "x" && row) {
      const box = row.querySelector("input.pick");
      if (box) {
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        announce(`Item ${row.dataset.id} ${box.checked ? "ticked" : "unticked"}`);
      }
    }
    else if (list && key === "r" && row) {
      if (wide.matches && pane) openItem(row.dataset.id, { push: true, focus: "composer" }).catch(() => {});
      else window.location.href = `/items/${row.dataset.id}#composer`;
    }
    else if (list && key === "Escape" && pane?.contains(document.activeElement)) {
      (list.querySelector("li.item.current") || row)?.querySelector("a.open")?.focus();
    }
    else if (itemPage && key === "c") clickAction("claim");
    else if (itemPage && key === "d") clickAction("dismiss");
    else if (itemPage && key === "r") focusComposer();
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
