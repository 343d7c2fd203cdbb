// How a `tally` or an `answer` event changes a poll (docs/protocol.md, "Events"):
// shared by the pages' reducer (shared/state.js) and the console's model
// (console/model.js); server/client/state.py mirrors it (tests/golden/).
// New objects, never edits: the models are copy-on-write.

// hidden, pending: a word cloud's, for moderators.
const TALLY_FIELDS = ['tallies', 'ballots', 'state', 'mine', 'hidden', 'pending'];

/** The poll after a tally event (`old` may be undefined: a poll not seen yet). */
export function tallied(old, e) {
  const poll = { ...(old ?? { id: e.pid }) };
  for (const k of TALLY_FIELDS) if (k in e) poll[k] = e[k];
  // An approved answer leaves the moderators' review queue.
  if (e.answer && typeof e.answer === 'object' && Array.isArray(poll.queue)) {
    poll.queue = poll.queue.filter((a) => a.id !== e.answer.id);
  }
  return poll;
}

/** The poll after an answer event: a held answer joins the queue, a rejected one leaves it. */
export function answered(old, e) {
  const poll = { ...(old ?? { id: e.pid }) };
  const queue = (Array.isArray(poll.queue) ? poll.queue : []).filter((a) => a.id !== e.answer?.id);
  if (e.status === 'pending') queue.push({ ...e.answer });
  poll.queue = queue;
  poll.pending = e.pending ?? queue.length;
  return poll;
}
