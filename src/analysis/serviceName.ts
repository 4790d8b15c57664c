// The service a connection belongs to, from its name: pure, shared by the panes, the owner
// attribution and the cutover's matching.

/**
 * A service name from a connection name: Kubernetes pod suffixes (`checkout-7f9c8d6b5-x2x7q`,
 * `checkout-x2x7q`) and StatefulSet ordinals (`worker-0`) are dropped, so one service's pods group
 * together. Names without such a suffix are kept whole.
 */
export function serviceOf(name: string): string {
  if (name === '') return '';
  // Three regular expressions a name, and the panes ask for every connection at every poll: names
  // repeat (a pod's pool), so each is worked out once.
  let s = services.get(name);
  if (s === undefined) {
    if (services.size >= 100_000) services.clear();
    s = serviceOfName(name);
    services.set(name, s);
  }
  return s;
}

const services = new Map<string, string>();

function serviceOfName(name: string): string {
  // Kubernetes draws these suffixes from an alphabet without vowels (and without 0, 1, 3).
  let s = name.replace(/-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/, '');
  if (s === name) s = name.replace(/-(?=[a-z]*[2456789])[bcdfghjklmnpqrstvwxz2456789]{5}$/, '');
  if (s === name) s = name.replace(/-\d{1,4}$/, '');
  return s === '' ? name : s;
}
