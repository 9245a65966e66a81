// The intake pages' progressive enhancement: without it every section shows and everything still works.
(function () {
  "use strict";
  function sync() {
    var company = document.querySelector("input[name=kind][value=company]");
    if (company) {
      document.querySelectorAll(".for-person").forEach(function (el) { el.hidden = company.checked; });
      document.querySelectorAll(".for-company").forEach(function (el) { el.hidden = !company.checked; });
    }
    var agent = document.getElementById("f-agent");
    if (agent) {
      document.querySelectorAll(".for-agent").forEach(function (el) { el.hidden = !agent.checked; });
    }
  }
  document.querySelectorAll("input[name=kind], #f-agent").forEach(function (el) {
    el.addEventListener("change", sync);
  });
  // Choosing a scan marks the material received.
  document.querySelectorAll("table.checklist input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var status = input.closest("tr").querySelector("select[name$=_status]");
      if (input.files.length && status) { status.value = "received"; }
    });
  });
  // The window's ID-card reader: a card laid on it fills the applicant (or the agent, or the legal
  // representative) within a second; the number shows masked, the form carries it sealed.
  var reader = document.getElementById("reader");
  if (reader) {
    var status = document.getElementById("reader-status");
    var shown = document.getElementById("reader-read");
    var after = -1;
    var busy = false;
    // The boxes a read fills: the intake's by default; the case page's hand-over form names its own
    // (data-self / data-agent: "name-box id-box", and data-agent-choice: the radio that means an agent).
    var boxes = function () {
      var company = document.querySelector("input[name=kind][value=company]");
      var agent = document.getElementById("f-agent") ||
        (reader.dataset.agentChoice && document.querySelector(reader.dataset.agentChoice));
      if (agent && agent.checked) { return (reader.dataset.agent || "agent_name agent_id").split(" "); }
      if (company && company.checked) { return ["legal_rep", "rep_id"]; }
      return (reader.dataset.self || "name id_number").split(" ");
    };
    var put = function (id, value) {
      var box = document.getElementById(id);
      if (box) { box.value = value; }
    };
    var fill = function (read) {
      var pair = boxes();
      put("f-" + pair[0], read.name);
      put("f-" + pair[1], read.masked);
      put("s-" + pair[1], read.sealed);
      shown.textContent = "已读取证件：" + read.name + " " + read.masked + "（有效期至 " + read.valid_until + "）";
      shown.hidden = false;
    };
    var poll = function () {
      if (busy) { return; }
      busy = true;
      fetch(reader.dataset.source + "?after=" + after, { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) { return answer.json(); })
        .then(function (body) {
          if (body.status) { status.textContent = body.status; }
          if (typeof body.seq === "number") { after = body.seq; }
          (body.reads || []).forEach(function (read) {
            if (read.refused) {
              shown.textContent = read.refused;
              shown.hidden = false;
            } else {
              fill(read);
            }
          });
        })
        .catch(function () { status.textContent = "无法连接读卡器服务，请稍后"; })
        .then(function () { busy = false; });
    };
    poll();
    window.setInterval(poll, 300);
  }
  var print = document.getElementById("print");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
  sync();
}());
