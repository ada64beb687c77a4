import { h } from "./dom.js";

// Grid shows a result of any size: only the rows in view (plus a margin)
// exist in the DOM, placed in one absolutely positioned window inside a
// body as tall as every row, so 100k rows scroll as smoothly as 100.

const ROW = 28; // px, as .grid .g-row > div in app.css
const OVERSCAN = 10;

export function grid(columns, rows, opts = {}) {
  const widths = columnWidths(columns, rows);
  const numWidth = String(rows.length).length * 8 + 20;
  const template = numWidth + "px " + widths.map((w) => w + "px").join(" ");
  const root = h("div.grid", { style: `height:${opts.height || 360}px`, dataset: { rows: rows.length } });
  const head = h("div.g-head", { style: `grid-template-columns:${template}` }, h("div.g-rownum", "#"), columns.map((c) => h("div", { title: c.type_text || "" }, c.name)));
  const win = h("div.g-window");
  const body = h("div.g-body", { style: `height:${rows.length * ROW}px` }, win);
  root.append(head, body);
  let first = -1, last = -1;
  const draw = () => {
    const top = Math.max(0, root.scrollTop - ROW);
    const f = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const l = Math.min(rows.length, Math.ceil((top + root.clientHeight) / ROW) + OVERSCAN);
    if (f === first && l === last) return;
    first = f;
    last = l;
    win.style.top = f * ROW + "px";
    const frag = document.createDocumentFragment();
    for (let i = f; i < l; i++) {
      const r = rows[i];
      const row = h("div.g-row", { style: `grid-template-columns:${template}` }, h("div.g-rownum", i + 1));
      for (let j = 0; j < columns.length; j++) {
        const v = r[j];
        row.append(v == null ? h("div.null", "NULL") : h("div", { title: v.length > 40 ? v.slice(0, 2000) : null }, v));
      }
      frag.append(row);
    }
    win.replaceChildren(frag);
  };
  root.addEventListener("scroll", () => requestAnimationFrame(draw), { passive: true });
  new ResizeObserver(() => { first = -1; draw(); }).observe(root);
  return root;
}

// columnWidths sizes columns from the header and the first 200 rows.
function columnWidths(columns, rows) {
  return columns.map((c, j) => {
    let n = c.name.length;
    for (let i = 0; i < Math.min(rows.length, 200); i++) {
      const v = rows[i][j];
      n = Math.max(n, v == null ? 4 : v.length);
    }
    return Math.min(360, Math.max(70, n * 7.5 + 20));
  });
}
