/**
 * Where webhooks may be delivered, and what a failed delivery may tell its subscriber. Pure.
 *
 * Webhook URLs are chosen by vendors, and the service POSTs to them: without rules a
 * subscriber could make the service call addresses inside the network it runs in (a cloud
 * metadata service at 169.254.169.254, a database on 10.0.0.5, the machine itself), and the
 * delivery log would tell it what answered. So, in production, a target must be `https://`
 * to a public host:
 * - an IP literal must be a public unicast address: not private (10/8, 172.16/12,
 *   192.168/16), loopback (127/8, ::1), link-local (169.254/16, fe80::/10), unique-local
 *   (fc00::/7), multicast (224/4, ff00::/8), shared CGNAT space (100.64/10), "this network"
 *   (0/8, ::), documentation, benchmarking, reserved (240/4) or broadcast space; an IPv6
 *   address must be global unicast (2000::/3), which also refuses IPv4-mapped (::ffff:0:0/96),
 *   IPv4-compatible and NAT64 forms, and 6to4 and Teredo (2002::/16, 2001::/32), which embed
 *   an IPv4 address. Numeric IPv4 spellings (`2130706433`, `0x7f000001`, `017700000001`,
 *   `127.1`) are the same address to the URL parser, which writes them as dotted quads before
 *   these rules see them.
 * - a name must be a public DNS name: at least two labels, an alphabetic (or IDN) top-level
 *   label, and not a special-use or private-use name (`localhost`, `.local`, `.internal`,
 *   `.home.arpa`, `.lan`, `.corp`, `.onion`, `.test`, `.example`, `.invalid`, …).
 *
 * In development (a local run, `ENVIRONMENT = "development"`), loopback receivers are
 * allowed too — `http://` or `https://` to `localhost`, `127.0.0.1` or `[::1]`, any port —
 * and the reserved documentation names `.test`, `.example` and `.invalid`, which never
 * resolve.
 *
 * Names are checked as written: DNS is not resolved here, so a public name that resolves to
 * a private address is not caught by these rules (Workers' outbound `fetch` runs on
 * Cloudflare's network, not inside the deployment's private network). Redirects are not
 * followed (deliveries use `redirect: "manual"`), so a public host cannot bounce a delivery
 * to an internal one.
 */

/** Which rules apply: production (the default, and anything unrecognised) or a local run. */
export type WebhookTargetPolicy = "production" | "development";

/** The hosts a local run may deliver to over `http://` (and `https://`). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Names that never reach a public host: special-use (RFC 6761/6762/8375/9476) and common private-use suffixes. */
const PRIVATE_SUFFIXES = ["localhost", "local", "internal", "intranet", "private", "corp", "home", "lan", "localdomain", "home.arpa", "arpa", "onion", "alt"];
/** Reserved for documentation and testing (RFC 2606): refused in production, allowed locally. */
const DOCUMENTATION_SUFFIXES = ["test", "example", "invalid"];

/** IPv4 ranges that are not public unicast: [first octets as a number, prefix length, what]. */
const IPV4_SPECIAL: [string, number, string][] = [
  ["0.0.0.0", 8, 'a "this network" address'],
  ["10.0.0.0", 8, "a private address"],
  ["100.64.0.0", 10, "a shared (CGNAT) address"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local address"],
  ["172.16.0.0", 12, "a private address"],
  ["192.0.0.0", 24, "an IETF protocol address"],
  ["192.0.2.0", 24, "a documentation address"],
  ["192.88.99.0", 24, "a 6to4 relay address"],
  ["192.168.0.0", 16, "a private address"],
  ["198.18.0.0", 15, "a benchmarking address"],
  ["198.51.100.0", 24, "a documentation address"],
  ["203.0.113.0", 24, "a documentation address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved address"],
];

function ipv4Number(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** Why an IPv4 address (dotted quad) is not public unicast, or null when it is. */
export function ipv4Problem(address: string): string | null {
  const n = ipv4Number(address);
  if (n === null) return "not an IPv4 address";
  for (const [base, bits, what] of IPV4_SPECIAL) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === (ipv4Number(base)! & mask) >>> 0) return `${address} is ${what}`;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (without brackets), or null when it is not one. */
function ipv6Groups(text: string): number[] | null {
  let head = text;
  const tail: number[] = [];
  // A dotted IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(head);
  if (v4 !== null) {
    const n = ipv4Number(v4[2]!);
    if (n === null) return null;
    head = v4[1]!.endsWith("::") ? v4[1]! : v4[1]!.slice(0, -1);
    tail.push(n >>> 16, n & 0xffff);
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const explicit = left.length + right.length + tail.length;
  if ([...left, ...right].some(Number.isNaN)) return null;
  if (halves.length === 1 && explicit !== 8) return null;
  if (halves.length === 2 && explicit > 7) return null;
  return [...left, ...new Array<number>(8 - explicit).fill(0), ...right, ...tail];
}

/** Why an IPv6 address (without brackets) is not public unicast, or null when it is. */
export function ipv6Problem(address: string): string | null {
  const g = ipv6Groups(address);
  if (g === null) return "not an IPv6 address";
  const shown = `[${address}]`;
  if (g.every((x) => x === 0)) return `${shown} is the unspecified address`;
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return `${shown} is a loopback address`;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${shown} is an IPv4-mapped address`;
  if ((g[0]! & 0xfe00) === 0xfc00) return `${shown} is a unique-local address`;
  if ((g[0]! & 0xffc0) === 0xfe80) return `${shown} is a link-local address`;
  if ((g[0]! & 0xff00) === 0xff00) return `${shown} is a multicast address`;
  if ((g[0]! & 0xe000) !== 0x2000) return `${shown} is not a global unicast address`;
  if (g[0] === 0x2002) return `${shown} is a 6to4 address (it embeds an IPv4 address)`;
  if (g[0] === 0x2001 && g[1]! < 0x0200) return `${shown} is an IETF protocol address (Teredo, benchmarking, …)`;
  if (g[0] === 0x2001 && g[1] === 0x0db8) return `${shown} is a documentation address`;
  if (g[0] === 0x3fff && g[1]! < 0x1000) return `${shown} is a documentation address`;
  return null;
}

/** Why a DNS name (as the URL parser wrote it: lowercase, IDN as punycode) is not a public name, or null. */
export function dnsNameProblem(hostname: string, policy: WebhookTargetPolicy): string | null {
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  const labels = name.split(".");
  if (name.length === 0 || name.length > 253 || labels.some((l) => !/^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) {
    return `${hostname} is not a valid DNS name`;
  }
  if (labels.length < 2) return `${hostname} is a single-label name, not a public DNS name`;
  const tld = labels[labels.length - 1]!;
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return `${hostname} does not end in a public top-level domain`;
  const refused = policy === "production" ? [...PRIVATE_SUFFIXES, ...DOCUMENTATION_SUFFIXES] : PRIVATE_SUFFIXES;
  for (const suffix of refused) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return `${hostname} is a special-use name (.${suffix}), not a public DNS name`;
  }
  return null;
}

/** Why a URL's host (`URL.hostname`) is not a public host, or null when it is. */
export function hostProblem(hostname: string, policy: WebhookTargetPolicy): string | null {
  if (hostname.startsWith("[") && hostname.endsWith("]")) return ipv6Problem(hostname.slice(1, -1));
  if (ipv4Number(hostname) !== null) return ipv4Problem(hostname);
  return dnsNameProblem(hostname, policy);
}

/**
 * Why a URL may not receive webhooks under `policy`, or null when it may (see the module
 * comment). No credentials in the URL, no fragment. Checked when a subscription is created
 * and again before every delivery.
 */
export function webhookUrlProblem(text: string, policy: WebhookTargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not an absolute URL";
  }
  if (url.username !== "" || url.password !== "") return "the URL must not carry credentials";
  if (url.hash !== "") return "the URL must not have a fragment";
  if (url.protocol !== "https:" && url.protocol !== "http:") return "use an https:// URL";
  if (url.hostname === "") return "the URL has no host";
  const loopback = policy === "development" && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol === "http:" && !loopback) {
    return policy === "development" ? "use https:// (http:// is allowed only for localhost and 127.0.0.1)" : "use https://";
  }
  if (loopback) return null;
  const problem = hostProblem(url.hostname, policy);
  return problem === null ? null : `the host must be public: ${problem}`;
}

/** What a failed delivery attempt is shown as to its subscriber (operators also see the status and error). */
export const DELIVERY_FAILURE_CLASSES = [
  "http_3xx",
  "http_4xx",
  "http_5xx",
  "http_other",
  "timeout",
  "network_error",
  "url_refused",
  "cancelled",
  "lost",
] as const;
export type DeliveryFailureClass = (typeof DELIVERY_FAILURE_CLASSES)[number];

/** The class of a non-2xx answer. */
export function httpFailureClass(status: number): DeliveryFailureClass {
  if (status >= 300 && status < 400) return "http_3xx";
  if (status >= 400 && status < 500) return "http_4xx";
  if (status >= 500 && status < 600) return "http_5xx";
  return "http_other";
}
