// The hall's call screen: signs in once with the link's token (from the address's #fragment), then
// follows the controller's stream. EventSource comes back by itself after the controller restarts; the
// stream's first message is always the whole state, so nothing is missed while it was away.
"use strict";

const base = "/api/v1/ext/queue/screen";
const instance = (sessionStorage.getItem("screen-instance") ||
  (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + "-" + String(Math.random()).slice(2)));
sessionStorage.setItem("screen-instance", instance);
let source = null;
let lastSeq = null;

function el(id) { return document.getElementById(id); }

function linkState(state, text) {
  const badge = el("link");
  badge.dataset.state = state;
  badge.textContent = text;
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function speak(call) {
  if (!("speechSynthesis" in window) || !call.speech_zh) return;
  const utterance = new SpeechSynthesisUtterance(call.speech_zh);
  utterance.lang = "zh-CN";
  window.speechSynthesis.speak(utterance);
}

function show(state) {
  const latest = state.latest;
  const current = el("current");
  el("latest-number").textContent = latest ? latest.number : "—";
  el("latest-window").textContent = latest ? latest.window + " 号窗口" : "";
  el("latest-text").textContent = latest ? latest.text_zh : "请留意叫号";
  el("latest-text-en").textContent = latest ? latest.text_en : "Please watch for your number";
  current.dataset.seq = latest ? String(latest.call_seq) : "";
  if (latest && lastSeq !== null && latest.call_seq > lastSeq) {
    current.classList.remove("fresh");
    void current.offsetWidth;  // restart the flash
    current.classList.add("fresh");
    speak(latest);
  }
  lastSeq = latest ? latest.call_seq : 0;

  const recent = el("recent-rows");
  recent.replaceChildren(...state.recent.slice(1).map((call) => {
    const tr = document.createElement("tr");
    tr.dataset.number = call.number;
    tr.append(cell(call.number), cell(call.window + " 号窗口"));
    return tr;
  }));
  const services = el("service-rows");
  services.replaceChildren(...state.services.map((line) => {
    const tr = document.createElement("tr");
    tr.dataset.service = line.code;
    const name = cell(line.name);
    const english = document.createElement("small");
    english.textContent = line.name_en;
    name.append(english);
    tr.append(
      name,
      cell(String(line.waiting), line.warning ? "warn" : ""),
      cell(Math.round(line.estimate_minutes) + " 分钟"),
    );
    return tr;
  }));
  if (el("notice-text").textContent !== state.notice) el("notice-text").textContent = state.notice;
}

function refused() {
  linkState("refused", "未登记 not registered");
  el("refused").hidden = false;
}

async function signIn() {
  const match = /(?:^#|&)link=([^&]+)/.exec(location.hash);
  if (!match) return true;
  // Out of the address bar (and the history) before anything else.
  history.replaceState(null, "", location.pathname + location.search);
  const answer = await fetch(base + "/session", {
    method: "POST",
    headers: { Authorization: "Bearer " + decodeURIComponent(match[1]) },
    credentials: "same-origin",
  });
  return answer.ok;
}

function follow() {
  if (source) source.close();
  source = new EventSource(base + "/stream?instance=" + encodeURIComponent(instance));
  source.addEventListener("calls", (message) => {
    linkState("live", "在线 live");
    el("refused").hidden = true;
    show(JSON.parse(message.data));
  });
  source.onerror = () => {
    linkState("connecting", "重新连接 reconnecting");
    if (source.readyState === EventSource.CLOSED) {
      // Refused (not signed in) or an answer that was not a stream: ask why, then try again later.
      source = null;
      fetch(base + "/state", { credentials: "same-origin" })
        .then((answer) => { if (answer.status === 401) refused(); })
        .catch(() => {})
        .finally(() => setTimeout(follow, 3000));
    }
  };
}

function tick() {
  const now = new Date();
  const two = (n) => String(n).padStart(2, "0");
  el("clock").textContent = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}

document.addEventListener("DOMContentLoaded", async () => {
  tick();
  setInterval(tick, 1000);
  let ok = false;
  try { ok = await signIn(); } catch (err) { ok = false; }
  if (!ok) { refused(); return; }
  follow();
});
