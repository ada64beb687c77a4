import { h } from "../dom.js";

// coming is the page of a part of the workspace zbemu does not serve yet;
// the deep link works so that bookmarks and links from docs land here.
export default function coming(title, what) {
  return (root, params) => {
    root.append(h("div.placeholder-page", { dataset: { coming: title } }, h("div",
      h("h1", title),
      h("p.muted", `${title} are coming to zbemu's UI` + (params[0] ? ` (this link names ${what} ${params[0]}).` : ".")),
      h("p", h("a", { href: "/", "data-nav": true }, "Back to Connect")))));
  };
}
