// The worklist's flags as you type: the rule of catalog/ranges.py (flag_for), on the limits the page carries in each
// input's data attributes. Only a hint: the server checks the value and flags it again when the page is saved.
"use strict";
(() => {
  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

  function decimalsOf(text) {
    const point = text.indexOf(".");
    return point < 0 ? 0 : text.length - point - 1;
  }

  function flagFor(input) {
    const text = input.value.trim();
    if (!text) return ["", ""];
    if (!NUMBER.test(text)) return ["not a number", "critical_low"];
    if (decimalsOf(text) > Number(input.dataset.decimals)) return ["too many decimals", "critical_low"];
    const value = Number(text);
    const limit = (name) => (input.dataset[name] === "" ? null : Number(input.dataset[name]));
    const low = limit("low"), high = limit("high"), criticalLow = limit("criticalLow"), criticalHigh = limit("criticalHigh");
    // [what the badge says (the flag's label, as the server writes it), the flag's code for the badge's style]
    if (low === null && high === null && criticalLow === null && criticalHigh === null) return ["No reference range", "no_range"];
    if (criticalLow !== null && value < criticalLow) return ["Critical low", "critical_low"];
    if (criticalHigh !== null && value > criticalHigh) return ["Critical high", "critical_high"];
    if (low !== null && value < low) return ["Low", "low"];
    if (high !== null && value > high) return ["High", "high"];
    return ["Normal", "normal"];
  }

  function show(input) {
    const badge = input.parentElement.querySelector("[data-flag]");
    if (!badge) return;
    const [text, flag] = flagFor(input);
    badge.textContent = text;
    badge.className = `flag flag-${flag}`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const table = document.getElementById("worklist");
    if (!table) return;
    for (const input of table.querySelectorAll("input.value")) if (input.value.trim()) show(input);
    table.addEventListener("input", (event) => {
      if (event.target.matches("input.value")) show(event.target);
    });
  });
})();
