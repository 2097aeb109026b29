// URLs, request targets and Host headers of a web request (the web checks and the probe client share them).

import type { ProxyChoice } from './proxy.js';

export function webUrl(host: string, path: string, tls: boolean, ws = false, port?: number): string {
  const def = tls ? 443 : 80;
  const authority = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}${port !== undefined && port !== def ? `:${port}` : ''}`;
  return `${ws ? (tls ? 'wss' : 'ws') : tls ? 'https' : 'http'}://${authority}${path}`;
}

/** The URL a proxy decision is made for (ws URLs are decided as their http(s) twins, like browsers). */
export function decisionUrl(host: string, port: number, tls: boolean, path = '/'): string {
  const scheme = tls || port !== 80 ? 'https' : 'http';
  const def = scheme === 'https' ? 443 : 80;
  return `${scheme}://${host}${port === def ? '' : `:${port}`}${path}`;
}

export interface WebDialParams {
  host: string;
  port: number;
  tls: boolean;
  /** A vendor host (the default) or the probe: decides whether a trusted private root is inspection. */
  farEnd?: 'vendor' | 'probe';
  /** Plain HTTP through a proxy: connect to the proxy only (absolute-URI request follows). */
  plainViaProxy?: boolean;
}

/** Request target and headers for a GET of `path` on this dialed connection. */
export function requestTarget(p: WebDialParams, path: string, choice: ProxyChoice): { target: string; headers: Record<string, string> } {
  if (p.plainViaProxy || (!p.tls && choice.kind === 'http')) {
    const headers: Record<string, string> = {};
    if (choice.kind === 'http' && choice.authorization) headers['Proxy-Authorization'] = choice.authorization;
    return { target: `http://${p.host}${p.port === 80 ? '' : `:${p.port}`}${path}`, headers };
  }
  return { target: path, headers: {} };
}

export function hostHeader(host: string, port: number, tls: boolean): string {
  return port === (tls ? 443 : 80) ? host : `${host}:${port}`;
}
