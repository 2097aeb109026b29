// proxy-auth-required (blocking): the proxy demands authentication (407).
// seed 001_853fb095b65f741b.txt: "WebRTC does not work with proxies requiring authentication";
// seed 000_637c892c7d775e13.txt: "native (non-browser) SDKs do not support authenticating proxies".
import { cause, code, listText, proxyDisplay, type Rule } from '../input.js';

export const rule: Rule = {
  id: 'proxy-auth-required',
  evaluate(input) {
    const bad = input.results.filter((r) => code(r) === 'PROXY_AUTH_REQUIRED');
    if (bad.length === 0) return null;
    const proxies = [...new Set(bad.map(proxyDisplay).filter((x): x is string => !!x))];
    const proxy = proxies.length ? listText(proxies) : (input.proxy.explicit ?? 'the proxy');
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)).filter((x): x is string => !!x))];
    return cause(
      'proxy-auth-required',
      'blocking',
      `${proxy} answers 407 Proxy Authentication Required for ${hosts.length} host${hosts.length === 1 ? '' : 's'} (${listText(hosts, 3)})`,
      [...new Set(bad.map((r) => r.id))],
      `Exempt the section 1 domains (the OneSpan Sign domain, *.opentok.com, *.tokbox.com, *.upscope.io, ` +
        `cobrowsingapi.com) from proxy authentication on ${proxy}; seed 001: "WebRTC does not work with proxies requiring authentication".`,
      hosts,
    );
  },
};
