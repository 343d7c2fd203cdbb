// What the queue's buttons and keys do: status changes (always with
// `expect`, the status the moderator saw), star, edit, merge, ban, bulk moves.
//
// When two moderators act on one question at once the hub applies one and
// answers the other `conflict`; that moderator is told who won ("已被其他主持人
// 处理：现在是 已通过") once the winning event has arrived (it follows the error
// within a fan-out tick). Nothing changes locally before the hub answers: the
// list shows the hub's state, and a question being acted on is only marked busy.

import { backStatus, canMove, canReceiveMerge } from './model.js';
import { ask } from './dialog.js';
import { REASON_MAX_LEN } from '../shared/contract.js';

const CONFLICT_WAIT_MS = 1500; // how long to wait for the winning event

/**
 * @param ctx the console's ctx
 * @param {object} hooks
 * @param {Set<number>} hooks.busy question ids with a command in flight (drawn busy)
 * @param {(qid: number, text: string, kind: string) => void} hooks.note a message on a row
 * @param {() => void} hooks.render redraw soon
 * @param {() => void} hooks.clearChecked untick everything (a bulk move started)
 * @returns {{actions: object, bulkMove: (chosen: object[], to: string) => Promise<void>}}
 */
export function queueActions(ctx, { busy, note, render, clearChecked }) {
  const { t } = ctx;

  /** Resolves once question `qid` is no longer in status `from` (or after `ms`). */
  function whenMoved(qid, from, ms) {
    return new Promise((resolve) => {
      let stop = () => {};
      const done = () => {
        stop();
        clearTimeout(timer);
        resolve(ctx.state.questions.get(qid));
      };
      const timer = setTimeout(done, ms);
      const check = () => {
        if (ctx.state.questions.get(qid)?.status !== from) done();
      };
      stop = ctx.subscribe(check);
      check();
    });
  }

  function errorText(err) {
    const key = `err_${err?.code}`;
    const text = t(key);
    return text === key ? t('err_generic', { message: err?.message ?? String(err?.code ?? err) }) : text;
  }

  /** After a refused status change: who won, once the hub's event has arrived. */
  async function explainConflict(q, expect, err) {
    const now = await whenMoved(q.id, expect, CONFLICT_WAIT_MS);
    let text;
    if (now !== undefined && now.status !== expect) {
      text = t('conflict', { status: t(`status_${now.status}`) });
    } else if (err?.code === 'conflict') {
      text = t('conflict_illegal');
    } else {
      text = errorText(err);
    }
    note(q.id, text, 'error');
    return text;
  }

  async function setStatus(q, to, { reason = '', quiet = false } = {}) {
    if (!canMove(q.status, to)) return 'skip';
    const expect = q.status;
    const fields = { qid: q.id, status: to, expect };
    if (reason) fields.reason = reason;
    busy.add(q.id);
    render();
    try {
      await ctx.send('q.status', fields);
      return 'ok';
    } catch (err) {
      if (err?.code === 'conflict') {
        const text = await explainConflict(q, expect, err);
        if (!quiet) ctx.toast(`#${q.id} ${text}`, 'error');
        return 'conflict';
      }
      if (!quiet) ctx.toast(`#${q.id} ${errorText(err)}`, 'error');
      return 'error';
    } finally {
      busy.delete(q.id);
      render();
    }
  }

  async function askReason(title) {
    return ask({
      id: 'reject-dialog', title, message: t('reject_note'),
      input: { label: t('reject_reason'), maxlength: REASON_MAX_LEN, placeholder: t('reject_placeholder'),
        chips: [t('reason_off_topic'), t('reason_duplicate'), t('reason_improper')] },
      confirm: t('act_reject'), cancel: t('cancel'), danger: true,
    });
  }

  const actions = {
    approve: (q) => setStatus(q, 'approved'),
    on_air: (q) => (q.status === 'on_air' ? undefined : setStatus(q, 'on_air')),
    answered: (q) => setStatus(q, 'answered'),
    back: (q) => {
      const to = backStatus(q.status);
      return to ? setStatus(q, to) : undefined;
    },
    async reject(q) {
      if (!canMove(q.status, 'rejected')) return;
      const reason = await askReason(t('reject_title', { id: q.id }));
      if (reason !== null) await setStatus(q, 'rejected', { reason: reason.trim() });
    },
    async tag(q, tag) {
      try {
        await ctx.send('q.tag', { qid: q.id, tag });
      } catch (err) {
        ctx.toast(`#${q.id} ${errorText(err)}`, 'error');
      }
    },
    async star(q) {
      if (q.status === 'merged') return;
      try {
        await ctx.send('q.star', { qid: q.id, on: !q.starred });
      } catch (err) {
        ctx.toast(`#${q.id} ${errorText(err)}`, 'error');
      }
    },
    async edit(q) {
      if (q.status === 'merged') return;
      const base = q.text; // what this moderator edits from: someone else's edit meanwhile is a conflict
      const text = await ask({
        id: 'edit-dialog', title: t('edit_title', { id: q.id }), message: t('edit_note'),
        input: { label: t('edit_label'), value: q.text, multiline: true },
        confirm: t('save'), cancel: t('cancel'),
      });
      if (text === null || text.trim() === (q.text ?? '').trim()) return;
      try {
        await ctx.send('q.edit', { qid: q.id, text, expect: base });
        ctx.toast(t('edited', { id: q.id }), 'ok');
      } catch (err) {
        ctx.toast(`#${q.id} ${err?.code === 'conflict' ? t('edit_conflict') : errorText(err)}`, 'error');
      }
    },
    async merge(q, into) {
      const target = ctx.state.questions.get(into);
      if (!canReceiveMerge(target) || q.status === 'merged' || q.id === into) return;
      const ok = await ask({
        id: 'merge-dialog', title: t('merge_title', { id: q.id, into }), message: t('merge_note', { id: q.id, into }),
        quote: target.text, confirm: t('act_merge'), cancel: t('cancel'),
      });
      if (ok === null) return;
      try {
        const result = await ctx.send('q.merge', { qid: q.id, into });
        ctx.toast(t('merged', { id: q.id, into, votes: result.votes ?? target.votes }), 'ok');
      } catch (err) {
        ctx.toast(`#${q.id} ${err?.code === 'conflict' ? t('merge_conflict') : errorText(err)}`, 'error');
      }
    },
    async ban(q) {
      const ok = await ask({
        id: 'ban-dialog', title: t('ban_title', { id: q.id }), message: t('ban_note'), quote: q.text,
        confirm: t('act_ban'), cancel: t('cancel'), danger: true,
      });
      if (ok === null) return;
      try {
        const result = await ctx.send('viewer.ban', { qid: q.id, on: true });
        ctx.toast(t('banned', { n: result.removed?.length ?? 0 }), 'ok');
      } catch (err) {
        ctx.toast(errorText(err), 'error');
      }
    },
    /** `who`: {qid} (banned by a question) or {viewer} (by pseudonym). */
    async unban(who) {
      try {
        await ctx.send('viewer.ban', { ...who, on: false });
        ctx.toast(t('unbanned'), 'ok');
      } catch (err) {
        ctx.toast(errorText(err), 'error');
      }
    },
  };

  /** Move every question of `chosen` that may go to `to`; one message for all. */
  async function bulkMove(chosen, to) {
    const targets = chosen.filter((q) => canMove(q.status, to));
    if (targets.length === 0) return;
    let reason = '';
    if (to === 'rejected') {
      const typed = await askReason(t('bulk_reject_title', { n: targets.length }));
      if (typed === null) return;
      reason = typed.trim();
    }
    clearChecked();
    const results = await Promise.all(targets.map((q) => setStatus(q, to, { reason, quiet: true })));
    const ok = results.filter((r) => r === 'ok').length;
    const conflicts = results.filter((r) => r === 'conflict').length;
    const failed = results.length - ok - conflicts;
    const parts = [t(to === 'approved' ? 'bulk_approved' : 'bulk_rejected', { n: ok })];
    if (conflicts) parts.push(t('bulk_conflicts', { n: conflicts }));
    if (failed) parts.push(t('bulk_failed', { n: failed }));
    ctx.toast(parts.join(t('list_sep')), conflicts || failed ? 'error' : 'ok');
  }

  return { actions, bulkMove };
}
