// How the lab benches measure an outage: a lab client pings through its tunnel every ~10 ms
// while something happens, and the gap is the longest run of unanswered pings, timed from the
// reply before it to the reply after it. Shared by bench/failover and bench/apply.
import type { Lab } from '../test/lab/scenario.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
export const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms  [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]  (${xs.map((x) => x.toFixed(0)).join(', ')})`;

/** The outage in `ping -D` output: the longest run of unanswered sequence numbers, in ms (0: none). Pure. */
export function longestOutage(out: string): { gapMs: number; replies: { at: number; seq: number }[] } {
  const replies = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from \S+ icmp_seq=(\d+)/gm)].map((m) => ({ at: Number(m[1]) * 1000, seq: Number(m[2]) }));
  // Found by sequence number, so replies that arrive late or in a burst do not hide it.
  const answered = new Set(replies.map((r) => r.seq));
  const at = new Map(replies.map((r) => [r.seq, r.at]));
  const maxSeq = Math.max(...answered);
  let run = 0;
  let longest = 0;
  let gapMs = 0;
  for (let q = Math.min(...answered); q <= maxSeq; q++) {
    if (answered.has(q)) {
      if (run > longest) {
        longest = run;
        gapMs = at.get(q)! - at.get(q - run - 1)!;
      }
      run = 0;
    } else run += 1;
  }
  return { gapMs, replies };
}

/** The lab host "client" pinging `defaultTarget` (an address inside its tunnel). */
export function clientPing(lab: Lab, defaultTarget: string) {
  /** Runs `act` while the client pings every 10 ms; returns the outage in ms. */
  const gapDuring = async (act: () => Promise<void>, windowS: number, target = defaultTarget): Promise<number> => {
    lab.exec('client', ['sh', '-c', `rm -f /tmp/b.out; ping -D -i 0.01 -w ${windowS} ${target} > /tmp/b.out 2>&1 &`]);
    await sleep(1000);
    const actAt = Date.now();
    await act();
    const deadline = Date.now() + (windowS + 10) * 1000;
    while (!lab.exec('client', ['cat', '/tmp/b.out']).stdout.includes('packet loss')) {
      if (Date.now() > deadline) throw new Error('ping did not finish');
      await sleep(200);
    }
    const out = lab.exec('client', ['cat', '/tmp/b.out']).stdout;
    const { gapMs, replies } = longestOutage(out);
    // A gap counts only when the traffic came back: the last reply must be well after the act.
    const last = Math.max(0, ...replies.map((r) => r.at));
    if (last < actAt + 1000) throw new Error(`traffic did not come back within ${windowS - 1} s (last reply ${((last - actAt) / 1000).toFixed(2)} s after it began)`);
    if (process.env.VERBOSE) console.log(`    ${/\d+ packets transmitted.*/.exec(out)?.[0]}; longest outage ${gapMs.toFixed(0)} ms`);
    return gapMs;
  };

  /** Traffic flows steadily: 50 pings 10 ms apart, at most one lost (waits up to `waitMs`). */
  const flowing = async (target = defaultTarget, waitMs = 30_000) => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const r = lab.exec('client', ['ping', '-q', '-c', '50', '-i', '0.01', '-W', '1', target]).stdout;
      const got = Number(/(\d+) received/.exec(r)?.[1] ?? 0);
      if (got >= 49) return;
      if (Date.now() > deadline) throw new Error(`traffic does not flow steadily: ${r.trim().split('\n').at(-2)}`);
    }
  };
  return { gapDuring, flowing };
}
