/**
 * The three modes as an ARIA tab list: arrow keys, Home and End move between tabs (WAI-ARIA
 * Authoring Practices, automatic activation); the selected tab is kept in the URL hash so a
 * link or a reload opens the same mode.
 */
export function setupTabs(list: HTMLElement, onChange: (id: string) => void): void {
  const tabs = Array.from(list.querySelectorAll<HTMLButtonElement>("[role=tab]"));
  const select = (tab: HTMLButtonElement, focus: boolean) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute("aria-controls") ?? "");
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
    const id = tab.dataset.mode ?? "";
    if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
    onChange(id);
  };
  for (const tab of tabs) tab.addEventListener("click", () => select(tab, false));
  list.addEventListener("keydown", (event) => {
    const current = tabs.findIndex((t) => t === document.activeElement);
    if (current < 0) return;
    const next =
      event.key === "ArrowRight" ? (current + 1) % tabs.length
      : event.key === "ArrowLeft" ? (current - 1 + tabs.length) % tabs.length
      : event.key === "Home" ? 0
      : event.key === "End" ? tabs.length - 1
      : -1;
    const tab = tabs[next];
    if (!tab) return;
    event.preventDefault();
    select(tab, true);
  });
  const fromHash = tabs.find((t) => `#${t.dataset.mode ?? ""}` === location.hash);
  const first = fromHash ?? tabs[0];
  if (first) select(first, false);
}
