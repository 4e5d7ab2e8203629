/** Bulwark's version: Core, CLI and agents are built and released together. */
export const VERSION = '0.1.0';
