/** What the console commands of both CLIs share: the terminal side of a console. */
export { attachConsole, MAX_CAPTURED_BYTES, type AttachableConsole, type ConsoleIo, type ConsoleOutcome } from './terminal.ts';
export { attachable, runTerminalSession, type TerminalSessionOptions } from './session.ts';
