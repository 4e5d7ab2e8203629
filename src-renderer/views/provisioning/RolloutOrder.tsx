// The order a plan says an apply changes hosts in: each wave with its hosts, who hands a
// floating IP to whom, what the load balancer drains, then warnings and outages.
import type { Rollout } from '../../../src-main/contract/index.js';

/** The order an apply changes hosts in: waves, handovers and drains, then what to know. */
export function RolloutOrder({ rollout }: { rollout: Rollout }) {
  if (rollout.waves.length === 0) return null;
  return (
    <div className="card wide" data-testid="plan-rollout">
      <strong>Order</strong>{' '}
      <span className="muted">{rollout.order === 'rolling' ? 'rolling: each failover location keeps serving' : 'all at once'}</span>
      <ol className="rollout-waves">
        {rollout.waves.map((w) => (
          <li key={w.index} data-testid={`plan-wave-${w.index + 1}`}>
            {w.hosts.map((h, i) => (
              <span key={h.host}>
                {i > 0 ? ', ' : ''}
                <span className="mono">{h.host}</span>
                {h.handovers.map((x) => ` (hands ${x.location}'s floating IP to ${x.to.length ? x.to.join(' or ') : 'nobody ready'})`).join('')}
                {h.drains.map((d) => ` (out of ${d.balancer}'s rotation for ${d.location} meanwhile)`).join('')}
              </span>
            ))}
          </li>
        ))}
      </ol>
      {rollout.warnings.map((n, i) => (
        <p key={`w${i}`} className="muted" data-testid="plan-rollout-warning">{n.message}</p>
      ))}
      {rollout.outages.map((n, i) => (
        <p key={`o${i}`} className="form-error" data-testid="plan-rollout-outage">{n.message}. Apply refuses this unless “Allow an outage” is ticked.</p>
      ))}
    </div>
  );
}
