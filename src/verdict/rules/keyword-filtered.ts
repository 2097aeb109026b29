// keyword-filtered (blocking): a host refused for a word in its name while a sibling of its group
// passes. seed 000_637c892c7d775e13.txt, row 5 note: "assets-proxy.upscope.io ... URL-keyword
// filters often block it because the hostname contains 'proxy'". The word list is in shared.ts.
import { cause, listText, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { changes, keywordHowto } from '../remedies.js';
import { keywordFiltered } from './shared.js';

export const rule: Rule = {
  id: 'keyword-filtered',
  reads: ['dns.resolve', 'tcp.connect', 'http.path', 'ws.upgrade', 'sse.stream'],
  evaluate(input) {
    const kw = keywordFiltered(input);
    if (kw.size === 0) return null;
    const names = [...kw.keys()];
    const parts = [...kw].map(([host, k]) => `${host} (contains "${k.word}")`);
    const siblings = [...new Set([...kw.values()].map((k) => k.sibling))];
    const all = [...kw.values()].flatMap((k) => k.results);
    const first = [...kw.values()][0]!;
    return cause(
      'keyword-filtered',
      'blocking',
      `${listText(parts)} ${kw.size === 1 ? 'is' : 'are'} refused while ${listText(siblings)} of the same group ${siblings.length === 1 ? 'passes' : 'pass'} — a URL-keyword filter`,
      all.map((r) => r.id),
      `Exempt ${listText(names)} from the web filter's keyword/category rules (an explicit allow entry ` +
        `for the full host name, or for *.${names[0]!.split('.').slice(1).join('.')}) — Virtual Room and RON Network Prerequisites: ` +
        `"URL-keyword filters often block it because the hostname contains 'proxy'".`,
      names,
      {
        title: kw.size === 1 ? `${names[0]} refused for "${first.word}" in its name` : `${kw.size} hosts refused for words in their names`,
        facts: factsOf(all),
        changes: changes(names, 'TCP 443', 'exempt from keyword filter', 'keyword-filtered'),
        howto: keywordHowto(names),
      },
    );
  },
};
