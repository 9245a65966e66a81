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
  var print = document.getElementById("print");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
  sync();
}());
