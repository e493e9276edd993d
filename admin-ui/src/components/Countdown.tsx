// A countdown to a deadline by the server's clock: the offset between the server's `Date`
// (or a time it sent) and this machine's is measured once, so a wrong local clock does not
// move the deadline.
import { useEffect, useState } from 'react';
import { Statistic } from 'antd';

let offsetMs: number | null = null;

/** Server time minus local time, from the `Date` header of a fresh response. */
export async function serverOffset(): Promise<number> {
  if (offsetMs !== null) return offsetMs;
  const before = Date.now();
  const res = await fetch('/healthz', { cache: 'no-store' });
  const after = Date.now();
  const date = res.headers.get('date');
  offsetMs = date ? Date.parse(date) + 500 - (before + after) / 2 : 0;
  return offsetMs;
}

/** Sets the offset from a server timestamp just received (more precise than `Date`). */
export function setServerNow(iso: string) {
  offsetMs = Date.parse(iso) - Date.now();
}

export function useServerNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now() + (offsetMs ?? 0));
  useEffect(() => {
    let alive = true;
    serverOffset().then(() => alive && setNow(Date.now() + (offsetMs ?? 0)));
    const id = setInterval(() => setNow(Date.now() + (offsetMs ?? 0)), intervalMs);
    return () => {
      alive = false;
      clearInterval(id);
    };
  }, [intervalMs]);
  return now;
}

export default function Countdown({ deadline, title }: { deadline: string; title: string }) {
  const now = useServerNow();
  const left = Math.max(0, Date.parse(deadline) - now);
  const s = Math.floor(left / 1000);
  const text = `${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return <Statistic title={title} value={text} />;
}
