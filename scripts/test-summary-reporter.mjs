// A node:test reporter (beside `spec`, see scripts/test.mjs) that prints, once the run is over, one
// line of what was skipped and why (reasons grouped, most frequent first) and the closing count
// line `tests: N passed, N failed, N skipped` (node's totals; a skipped suite counts once, like a
// skipped test, where node's own total leaves it out).

const INSTALL_HINT = /; install: (.+)\)$/;

export default async function* summary(source) {
  const reasons = new Map();
  let install = null;
  let counts = null;
  for await (const ev of source) {
    // The run's own totals: the last test:summary without a file.
    if (ev.type === 'test:summary' && !ev.data.file) counts = ev.data.counts;
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    const skip = ev.data.skip;
    if (skip === undefined || skip === false) continue;
    let why = typeof skip === 'string' && skip ? skip : 'no reason given';
    const m = INSTALL_HINT.exec(why);
    if (m) {
      install = m[1];
      why = why.replace(INSTALL_HINT, ')');
    }
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  const skipped = [...reasons.values()].reduce((a, b) => a + b, 0);
  const parts = [...reasons].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${n} × ${why}`);
  yield `skipped ${skipped}${parts.length ? `: ${parts.join('; ')}` : ''}${install ? ` — install the missing packages: ${install}` : ''}\n`;
  if (counts) yield `tests: ${counts.passed} passed, ${counts.failed + counts.cancelled} failed, ${skipped} skipped\n`;
}
