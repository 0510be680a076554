/**
 * The one switch between development and production, read the same way by the gateway (config.ts), the launcher
 * (network/src/mode.ts) and the scripts that start the portal: NODE_ENV, exactly `development` or `production`.
 * Unset means development (the documented default of `npm start`); any other value — `prod`, `Production`,
 * `test`, `staging` — is refused at start with one line, because silently running a mistyped production in
 * development mode would fill it with generated development secrets.
 *
 * No dependencies: the launcher imports this file from outside the gateway package.
 */
export const MODES = ['development', 'production'] as const;
export type Mode = (typeof MODES)[number];

/** The variable that holds the switch. */
export const MODE_VARIABLE = 'NODE_ENV';

export class ModeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModeError';
  }
}

/** The mode `value` names; undefined (unset) is development; anything else throws a ModeError (one line). */
export function parseMode(value: string | undefined): Mode {
  if (value === undefined) return 'development';
  if ((MODES as readonly string[]).includes(value)) return value as Mode;
  throw new ModeError(
    `${MODE_VARIABLE} must be 'development' or 'production' (got ${JSON.stringify(value)}); unset means development`,
  );
}

/** The mode of an environment (process.env by default). */
export const modeOf = (env: NodeJS.ProcessEnv = process.env): Mode => parseMode(env[MODE_VARIABLE]);
