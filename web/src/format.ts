// Display helpers for sizes, CPU and times.

export function bytes(n: number | null | undefined): string {
  if (n == null) return "no limit";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

export function cpu(millis: number | null | undefined): string {
  if (millis == null) return "no limit";
  const cores = millis / 1000;
  return `${Number.isInteger(cores) ? cores : cores.toFixed(2)} CPU${cores === 1 ? "" : "s"}`;
}

/** cores renders a CPU limit given in cores (the API's template "cpu"). */
export function cores(n: number | null | undefined): string {
  if (!n) return "no CPU limit";
  return `${Number.isInteger(n) ? n : n.toFixed(2)} CPU${n === 1 ? "" : "s"}`;
}

/** duration shortens a Go duration for people: "12h0m0s" → "12h". */
export function duration(d: string): string {
  return d.replace(/([hm])0s$/, "$1").replace(/h0m$/, "h");
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** shortId is the first block of a UUID, enough to tell rows apart. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
