// Where a host's plan or apply stopped: the step, the message, the command and the last lines of its output.
import type { StepFailure } from '../../../src-main/contract/index.js';

export function StepFailureView({ failure, testid }: { failure: StepFailure; testid: string }) {
  return (
    <div className="failure" data-testid={testid}>
      <dl className="facts">
        <dt>Step</dt>
        <dd data-testid={`${testid}-step`}>{failure.step}</dd>
        <dt>Message</dt>
        <dd className="pre-line" data-testid={`${testid}-message`}>{failure.message}</dd>
        {failure.command !== null ? (
          <>
            <dt>Command</dt>
            <dd className="mono" data-testid={`${testid}-command`}>{failure.command}</dd>
          </>
        ) : null}
        {failure.exitCode !== null ? (
          <>
            <dt>Exit code</dt>
            <dd data-testid={`${testid}-exit-code`}>{failure.exitCode}</dd>
          </>
        ) : null}
      </dl>
      {failure.output.length ? (
        <pre className="output" data-testid={`${testid}-output`}>
          {failure.output.join('\n')}
        </pre>
      ) : null}
    </div>
  );
}
