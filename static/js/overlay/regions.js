// The scene layout: every widget has a region of the title-safe area, and the
// regions never overlap, whatever combination a scene shows (docs/obs.md).
//
//   top row     title (left)                          counters (right)
//   middle row  the poll (right), between the rows' actual heights
//   bottom row  the lower third (left)                the QR code (right)
//   the ticker  across the bottom (or top) edge; the rows beside it move in
//
// The corners' widths are fixed in CSS (the lower third and the QR code fit
// side by side at 16:9); the middle row's height depends on what the top and
// bottom rows show, so it is measured: the slots' heights go into --xs-top-h
// and --xs-bottom-h, which the middle slots keep clear of.

const TOP = ['tl', 'tc', 'tr'];
const BOTTOM = ['bl', 'bc', 'br'];

/** Keep the middle row clear of the top and bottom rows; `onChange` after each new layout. */
export function watchRegions(stage, slots, onChange = () => {}) {
  const safe = slots.tl.parentElement;
  let last = '';
  const measure = () => {
    const box = safe.getBoundingClientRect();
    const reach = (names, fromTop) => {
      let px = 0;
      for (const n of names) {
        const r = slots[n].getBoundingClientRect();
        if (r.height > 0) px = Math.max(px, fromTop ? r.bottom - box.top : box.bottom - r.top);
      }
      return Math.round(px);
    };
    const top = reach(TOP, true);
    const bottom = reach(BOTTOM, false);
    if (`${top}:${bottom}` === last) return;
    last = `${top}:${bottom}`;
    stage.style.setProperty('--xs-top-h', `${top}px`);
    stage.style.setProperty('--xs-bottom-h', `${bottom}px`);
    onChange();
  };
  if (typeof ResizeObserver !== 'function') return;
  const ro = new ResizeObserver(measure);
  for (const name of [...TOP, ...BOTTOM]) ro.observe(slots[name]);
}
