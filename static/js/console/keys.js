// The console's keyboard shortcuts: one keydown listener for the page, keys
// registered by the shell, the queue and the panels (ctx.keys.register).
//
// A key registered with {panel} works only while that panel's tab is shown;
// one without is global (x, ?). The shown panel's keys win over global ones.
// Keys never fire while someone types (input, textarea, select, contenteditable),
// while a dialog is open (it has its own keys: Enter, Escape), with Ctrl, Alt or
// Meta held (browser shortcuts stay the browser's), nor for Enter or Space on a
// focused button or link (they press it).

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
// Inputs nobody types into: a ticked checkbox keeps focus, and j/k/a... must
// still work from there (Enter and Space stay theirs).
const PRESSABLE_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']);

function pressable(target) {
  if (target.tagName === 'BUTTON' || target.tagName === 'A' || target.tagName === 'SUMMARY') return true;
  return target.tagName === 'INPUT' && PRESSABLE_INPUTS.has(String(target.type).toLowerCase());
}

/** Whether a keydown should be left alone by the shortcuts. */
export function ignored(event, doc = globalThis.document) {
  if (event.defaultPrevented || event.isComposing) return true;
  if (event.ctrlKey || event.altKey || event.metaKey) return true;
  const target = event.target;
  if (target) {
    if (pressable(target)) {
      if (event.key === 'Enter' || event.key === ' ') return true;
    } else if (TYPING.has(target.tagName) || target.isContentEditable) {
      return true;
    }
  }
  return doc?.querySelector?.('dialog[open]') != null;
}

export class Keys {
  /** @param {() => string} activePanel the name of the panel shown now */
  constructor(activePanel) {
    this.activePanel = activePanel;
    this.entries = []; // {key, label, handler, panel}, in registration order
  }

  /**
   * Register `key` (KeyboardEvent.key: 'j', 'Enter', '?', '/') with a label for
   * the help (a string, or a function returning one so it follows the language
   * switch). Returns a function that removes it again.
   */
  register(key, label, handler, { panel = null } = {}) {
    const entry = { key, label, handler, panel };
    this.entries.push(entry);
    return () => {
      this.entries = this.entries.filter((e) => e !== entry);
    };
  }

  /** The entry a key press runs now, or undefined. */
  find(key) {
    const panel = this.activePanel();
    return (
      this.entries.find((e) => e.key === key && e.panel !== null && e.panel === panel) ??
      this.entries.find((e) => e.key === key && e.panel === null)
    );
  }

  /** The keydown listener. */
  handle(event) {
    if (ignored(event)) return;
    const entry = this.find(event.key);
    if (entry === undefined) return;
    event.preventDefault();
    try {
      entry.handler(event);
    } catch (err) {
      globalThis.console?.error?.(err);
    }
  }

  /**
   * For the help: [{panel, items: [{keys: [key...], label}]}], global keys
   * first; keys of one panel with the same label share a line (j and ↓).
   */
  groups() {
    const out = new Map();
    for (const e of this.entries) {
      const group = out.get(e.panel) ?? [];
      const label = typeof e.label === 'function' ? e.label() : String(e.label);
      const same = group.find((item) => item.label === label);
      if (same) same.keys.push(e.key);
      else group.push({ keys: [e.key], label });
      out.set(e.panel, group);
    }
    const list = [...out].map(([panel, items]) => ({ panel, items }));
    return list.sort((a, b) => (a.panel === null ? -1 : b.panel === null ? 1 : 0));
  }
}
