/**
 * AWS Lambda runtimes accepted in `spec.lambda.runtime` (zip packages only).
 *
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html as mirrored by
 * endoflife.date, snapshot 2026-08-22 (see /work/shared/notes/harness-and-lambda.md, 3.2).
 * `deprecated` is the date AWS stops security patches; `blockUpdate` the date updates are blocked.
 * Runtimes whose update block has passed (nodejs18.x, nodejs20.x, python3.9, go1.x, ...) are
 * left out; `nodejs26.x` and `python3.15` are in the SDK enum only and left out until AWS lists them.
 *
 * schemas/service.schema.json carries the same list as an enum; a test keeps the two in sync.
 */
export interface LambdaRuntime {
  id: string;
  deprecated: string;
  blockUpdate?: string;
}

export const LAMBDA_RUNTIMES_SNAPSHOT = '2026-08-22';

export const LAMBDA_RUNTIMES: readonly LambdaRuntime[] = [
  { id: 'nodejs24.x', deprecated: '2028-04-30', blockUpdate: '2028-07-01' },
  { id: 'nodejs22.x', deprecated: '2027-04-30', blockUpdate: '2027-07-01' },
  { id: 'python3.14', deprecated: '2029-06-30' },
  { id: 'python3.13', deprecated: '2029-06-30' },
  { id: 'python3.12', deprecated: '2028-10-31' },
  { id: 'python3.11', deprecated: '2027-06-30' },
  { id: 'python3.10', deprecated: '2026-10-31' },
  { id: 'java25', deprecated: '2029-06-30' },
  { id: 'java21', deprecated: '2029-06-30' },
  { id: 'java17', deprecated: '2027-06-30' },
  { id: 'java11', deprecated: '2027-06-30' },
  { id: 'java8.al2', deprecated: '2027-06-30' },
  { id: 'java17.al2023', deprecated: '2029-06-30' },
  { id: 'java11.al2023', deprecated: '2029-06-30' },
  { id: 'java8.al2023', deprecated: '2029-06-30' },
  { id: 'dotnet10', deprecated: '2028-11-14' },
  { id: 'dotnet8', deprecated: '2026-11-10' },
  { id: 'ruby4.0', deprecated: '2029-03-31' },
  { id: 'ruby3.4', deprecated: '2028-03-31' },
  { id: 'ruby3.3', deprecated: '2027-03-31' },
  { id: 'provided.al2023', deprecated: '2029-06-30' },
  { id: 'provided.al2', deprecated: '2026-07-31' },
];

export const LAMBDA_RUNTIME_IDS: readonly string[] = LAMBDA_RUNTIMES.map((r) => r.id);

/**
 * Days until AWS deprecates `id` (negative once deprecated), or undefined for an unknown runtime.
 * Callers pass the clock (`host.now()`): this module does no I/O.
 */
export function daysUntilDeprecation(id: string, now: Date): number | undefined {
  const r = LAMBDA_RUNTIMES.find((x) => x.id === id);
  if (!r) return undefined;
  return Math.floor((Date.parse(`${r.deprecated}T00:00:00Z`) - now.getTime()) / 86_400_000);
}
