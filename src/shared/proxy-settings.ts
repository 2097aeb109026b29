// A proxy setting as plain data (a leaf module: it imports nothing of netready's). Read by proxy
// discovery (net/discovery), carried in the run configuration (shared/config.ts) for planning.

/** One proxy server named by a setting. */
export interface ProxyServerSetting {
  /** `http`: a proxy spoken to in clear (CONNECT for https); `https`: TLS to the proxy; `socks*`: SOCKS. */
  scheme: 'http' | 'https' | 'socks' | 'socks4' | 'socks5';
  host: string;
  port: number;
  /** The key it was read from, e.g. `ProxyServer (https=)`, `HTTPSProxy + HTTPSPort`. */
  from: string;
}

/** How the entries of a bypass list are matched (see bypass.ts): each system has its own syntax. */
export type BypassFlavour = 'wininet' | 'macos' | 'gnome' | 'kde' | 'curl';

export interface BypassList {
  flavour: BypassFlavour;
  /** The entries as written (split and trimmed; `<local>` is taken out into simpleHostnames). */
  entries: string[];
  /** Plain host names (no dot) go direct: WinINET `<local>`, macOS ExcludeSimpleHostnames. */
  simpleHostnames: boolean;
  /** KDE ReversedException: the list names the only hosts that use the proxy. */
  reversed: boolean;
  from: string | null;
}

/** A fixed ("manual") proxy configuration. */
export interface ManualProxy {
  /** For https:// and wss:// URLs. */
  https: ProxyServerSetting | null;
  /** For http:// URLs. */
  http: ProxyServerSetting | null;
  /** Browsers use a SOCKS proxy for every scheme that has no proxy of its own. */
  socks: ProxyServerSetting | null;
  bypass: BypassList;
}
