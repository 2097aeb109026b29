// keyword-filtered (blocking): a host refused for a word in its name while a sibling of its group
// passes. seed 000_637c892c7d775e13.txt, row 5 note: "assets-proxy.upscope.io ... URL-keyword
// filters often block it because the hostname contains 'proxy'". The word list is in shared.ts.
import { cause, code, listText, type Rule } from '../input.js';
import { keywordFiltered } from './shared.js';

export const rule: Rule = {
  id: 'keyword-filtered',
  evaluate(input) {
    const kw = keywordFiltered(input);
    if (kw.size === 0) return null;
    const parts = [...kw].map(([host, k]) => `${host} (contains "${k.word}")`);
    const siblings = [...new Set([...kw.values()].map((k) => k.sibling))];
    const all = [...kw.values()].flatMap((k) => k.results);
    const codes = listText(all.map((r) => code(r) ?? r.status));
    return cause(
      'keyword-filtered',
      'blocking',
      `${listText(parts)} ${kw.size === 1 ? 'is' : 'are'} refused (${codes}) while ${listText(siblings)} of the same group passes — a URL-keyword filter`,
      all.map((r) => r.id),
      `Exempt ${listText([...kw.keys()], 8)} from the web filter's keyword/category rules (an explicit allow entry ` +
        `for the full host name, or for *.${[...kw.keys()][0]!.split('.').slice(1).join('.')}) — Virtual Room and RON Network Prerequisites: ` +
        `"URL-keyword filters often block it because the hostname contains 'proxy'".`,
      [...kw.keys()],
    );
  },
};
