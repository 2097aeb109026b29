// Terminal colours from node:util's styleText (Node 24), in place of the picocolors dependency:
// the same ANSI codes, nesting included; `enabled` false gives plain text (NO_COLOR, not a TTY).
import { styleText } from 'node:util';

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';
export type Colors = Record<Style, (text: string) => string>;

export function createColors(enabled: boolean): Colors {
  const style = (s: Style) => (text: string) => (enabled ? styleText(s, String(text), { validateStream: false }) : String(text));
  return { bold: style('bold'), dim: style('dim'), red: style('red'), green: style('green'), yellow: style('yellow'), cyan: style('cyan') };
}
