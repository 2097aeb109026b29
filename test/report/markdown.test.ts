// The Markdown report as a ticket system renders it (markdown-it: CommonMark + GFM tables, HTML
// allowed for the collapsible checks block) and as it reads pasted as plain text (Jira, e-mail):
// no backslash escapes, the names people copy verbatim, the change list as a checklist.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import { code, mdText, renderMarkdown } from '../../src/report/markdown.js';
import type { RawRun } from '../../src/report/types.js';
import { buildReport } from '../../src/verdict/index.js';

const RAW = new URL('../fixtures/raw/', import.meta.url);
const raw = (name: string): RawRun => JSON.parse(readFileSync(new URL(`${name}.json`, RAW), 'utf8'));
const md = new MarkdownIt({ html: true });
/** The text a reader sees once rendered (tags dropped, entities decoded). */
const seen = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('markdown for tickets', () => {
  it('code spans hold any text; words Markdown would act on become code', () => {
    assert.equal(code('a`b'), '``a`b``');
    assert.equal(code('`x`'), '`` `x` ``');
    assert.equal(mdText('add *.opentok.com, then read_timeout and _x_'), 'add `*.opentok.com`, then read_timeout and `_x_`');
    assert.equal(seen(md.renderInline(mdText('<b>bold</b> *.tokbox.com'))), '<b>bold</b> *.tokbox.com');
  });

  for (const f of readdirSync(RAW).filter((x) => x.endsWith('.json')).map((x) => x.slice(0, -5))) {
    it(`${f}: no escapes pasted, the names verbatim when rendered, the checks collapsed`, () => {
      const report = buildReport(raw(f));
      const text = renderMarkdown(report);
      const prose = text.replace(/^```[\s\S]*?^```$/gm, '');
      assert.doesNotMatch(prose, /\\/, 'no backslash outside code blocks (it would show when pasted)');
      assert.doesNotMatch(prose, /&(lt|gt|amp|quot);/, 'no HTML entities in the text');
      const html = md.render(text);
      const visible = seen(html);
      for (const c of report.causes) {
        for (const x of c.changes ?? []) assert.ok(visible.includes(x.destination), `${x.destination} reads verbatim`);
        for (const fact of c.facts ?? []) for (const t of fact.targets) assert.ok(visible.includes(t), `${t} reads verbatim`);
      }
      assert.match(html, /<details><summary>\d+ checks: /, 'the checks table in a collapsible block');
      assert.match(html, /<\/summary>\n<table>/, 'the table inside it renders as a table');
      const rows = (html.match(/<tr>/g) ?? []).length;
      assert.ok(rows >= report.checks.length + report.checklist.length, 'every check and checklist row is a table row');
      if (report.changes?.length) assert.match(text, /^## Change list\n\n- \[ \] \*\*/m, 'the change list as a checklist');
      assert.match(text, new RegExp(`^# netready: ${report.outcome === 'not-ready' ? 'NOT READY' : report.outcome === 'incomplete' ? 'INCOMPLETE' : 'READY'}`));
    });
  }
});
