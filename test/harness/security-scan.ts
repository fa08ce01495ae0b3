/**
 * What must never appear in an answer, a log line or the table, as patterns: stack traces,
 * ARNs other than the few a line may rightly carry, credentials, and chosen payload values.
 */

/** A JavaScript stack frame (`at fn (/path/file.js:10:5)`, `at /path/file.mjs:1:2`) or a Python traceback. */
export const STACK_TRACE =
  /\bat (?:async )?(?:[\w$.<>[\] ]+ \()?(?:file:\/\/)?\/?[\w./@-]+\.(?:[cm]?js|ts):\d+:\d+|Traceback \(most recent call last\)/;

const ARN = /arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\s"'\\,}]+/g;

/** Every ARN in the text that none of the allowed patterns accepts. */
export function foreignArns(text: string, allowed: readonly RegExp[]): string[] {
  return (text.match(ARN) ?? []).filter((arn) => !allowed.some((pattern) => pattern.test(arn)));
}

/** The values (as they would be written in JSON) that occur in the text. */
export function valuesIn(text: string, values: readonly string[]): string[] {
  return values.filter((value) => text.includes(value));
}

/** The problems of one text, by kind: the messages of a failed expectation name the leak. */
export function leaksIn(text: string, o: { allowedArns: readonly RegExp[]; secrets: readonly string[] }): string[] {
  const problems: string[] = [];
  const trace = STACK_TRACE.exec(text);
  if (trace) problems.push(`stack trace: ${trace[0]}`);
  for (const arn of foreignArns(text, o.allowedArns)) problems.push(`ARN: ${arn}`);
  for (const secret of valuesIn(text, o.secrets)) problems.push(`credential: ${secret.slice(0, 6)}...`);
  return problems;
}
