export function writeCompose(): string { throw new Error("not yet"); }
