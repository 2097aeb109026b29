// path-filtered (blocking): /virtual-room/*, /graphql or /transaction/* refused by a proxy while
// other requests to the same domain pass.
// seed 000_637c892c7d775e13.txt: "If row 1 is restricted to specific URL paths, include
// /virtual-room/*, /graphql, and /transaction/* in addition to the signing pages."
import { cause, listText, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { changes, pathHowto } from '../remedies.js';
import { pathFiltered, pathOf } from './shared.js';

export const rule: Rule = {
  id: 'path-filtered',
  reads: ['http.path', 'ws.upgrade', 'sse.stream'],
  evaluate(input) {
    const bad = pathFiltered(input);
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    const paths = [...new Set(bad.map((r) => pathOf(r)!))];
    return cause(
      'path-filtered',
      'blocking',
      `the proxy refuses ${listText(paths)} on ${listText(hosts)} while other requests to the same domain pass`,
      bad.map((r) => r.id),
      `Add the paths /virtual-room/*, /graphql and /transaction/* of ${listText(hosts)} to the proxy's ` +
        `URL-path allowlist (Virtual Room and RON Network Prerequisites: "include /virtual-room/*, /graphql, and /transaction/*").`,
      bad.map((r) => r.target),
      {
        title: `the proxy refuses the Virtual Room paths on ${listText(hosts)}`,
        facts: factsOf(bad),
        changes: changes(hosts, 'TCP 443', 'allow paths', 'path-filtered', '/virtual-room/*, /graphql, /transaction/*'),
        howto: hosts.flatMap(pathHowto),
      },
    );
  },
};
