// Shared by the three Personal Certificate Client rules.
// The Personal Certificate Client causes, from the `pcc.agent` summary result (target "pcc").
// seed 003_606ee1d65ee49d3b.txt: ports 26666, 31222, 32444, 44555, 47777, 48888; the certificate
// "is issued to localhost.esignlive.com"; "bypass the proxy server for the address localhost.esignlive.com".
import type { CheckResult } from '../../shared/results.js';
import type { Cause, CauseId } from '../../report/types.js';
import { factsOf } from '../facts.js';
import { cause, code, type Rule, type VerdictInput } from '../input.js';

export const PORTS = '26666, 31222, 32444, 44555, 47777, 48888';

function summaryResult(input: VerdictInput, codes: string[]): CheckResult | null {
  // details.problems lists every finding (the error carries only the first), e.g. an expired
  // certificate and a proxy without a bypass at once.
  const listed = (r: CheckResult) => Array.isArray(r.details?.problems) && (r.details.problems as unknown[]).some((c) => codes.includes(String(c)));
  return input.byId('pcc.agent').find((r) => r.target === 'pcc' && (codes.includes(code(r) ?? '') || listed(r))) ?? null;
}

export function pccRule(id: CauseId, codes: string[], make: (r: CheckResult, host: string) => [string, string, Pick<Cause, 'title' | 'facts' | 'changes' | 'howto'>?]): Rule {
  return {
    id,
    reads: ['pcc.agent'],
    evaluate(input) {
      const r = summaryResult(input, codes);
      if (!r) return null;
      const host = input.raw.pcc?.host ?? 'localhost.esignlive.com';
      const [summary, remedy, extra] = make(r, host);
      return cause(id, 'blocking', summary, ['pcc.agent'], remedy, ['pcc'], { title: summary, facts: factsOf([r]), ...extra });
    },
  };
}

