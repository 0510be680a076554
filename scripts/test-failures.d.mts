export interface FailedTest {
  name: string;
  details: string[];
}
export interface FailedFile {
  file: string;
  tests: FailedTest[];
  gatewayErrors: string[];
}
export function tapFailures(tap: string): FailedTest[];
export function gatewayErrors(runRoot: string, sinceMs: number): string[];
export function failureReport(entries: FailedFile[]): string;
