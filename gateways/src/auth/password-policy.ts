/**
 * The password policy for passwords users choose (user creation, an admin's reset, a user's own change): at
 * least 12 characters, not a well-known weak password (a common password, or a common word with digits and
 * symbols around it, or a run of few distinct characters), and not containing the username. A refusal lists
 * every rule that fails, in one 400 problem. The bootstrap admin's configured password is checked by the
 * configuration instead (production refuses weak ones).
 */
import { AppError } from '../errors.ts';

export const MIN_LENGTH = 12;
const MIN_DISTINCT = 5;

/** Common passwords of 12+ characters, and the words most weak passwords are made of. */
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123123123123',
  '111111111111',
  '000000000000',
  'qwertyuiop12',
  'qwerty123456',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'zaq12wsxcde3',
  'qwertyuiopasdfgh',
  'abcdefghijkl',
  'abcd1234abcd',
  'administrator',
  'passwordpassword',
  'iloveyou1234',
  'letmeinletmein',
]);
const WORDS = [
  'password',
  'passw0rd',
  'p@ssword',
  'p@ssw0rd',
  'qwerty',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'changeme',
  'iloveyou',
  'secret',
  'monkey',
  'dragon',
  'football',
  'baseball',
  'sunshine',
  'princess',
  'master',
  'trustno1',
  'coffee',
  'default',
  'login',
];

/** Every rule the password breaks (empty: it passes). */
export function passwordProblems(password: string, username?: string): string[] {
  const problems: string[] = [];
  if (password.length < MIN_LENGTH) problems.push(`it must have at least ${MIN_LENGTH} characters`);
  const lower = password.toLowerCase();
  // A common word with only digits and symbols around it ("Password2024!", "!!admin123456") is still that word.
  const core = lower.replace(/^[^a-z]+|[^a-z]+$/g, '');
  if (COMMON.has(lower) || WORDS.includes(core) || (core === '' && /^(\d)\1*$|^0?123456789/.test(lower)))
    problems.push('it is a well-known weak password');
  else if (new Set(password).size < MIN_DISTINCT)
    problems.push(`it must use at least ${MIN_DISTINCT} different characters`);
  if (username && username.length >= 3 && lower.includes(username.toLowerCase()))
    problems.push('it must not contain the username');
  return problems;
}

/** Throws 400 VALIDATION_FAILED listing every rule the password breaks. */
export function assertPasswordPolicy(password: string, username?: string, path = 'body.password'): void {
  const problems = passwordProblems(password, username);
  if (problems.length === 0) return;
  throw new AppError(
    400,
    'VALIDATION_FAILED',
    `the password does not meet the policy: ${problems.join('; ')}`,
    {
      errors: problems.map((message) => ({ path, message })),
    },
  );
}
