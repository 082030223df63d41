/** A stack: one way of serving the bench routes (a frontend plus its handlers, or one server). */
import type { Tool } from "../tools.js";

export interface StackOptions {
  /** Handler processes (or workers) behind the frontend, where the stack has that notion. */
  handlers?: number;
  /** Requests one handler process works on at once (for the I/O-bound scaling scenario). */
  capacity?: number;
  /** Profile the frontend: write a V8 .cpuprofile into this directory. */
  profileDir?: string;
}

export interface RunningStack {
  /** Base URL, no trailing slash: http://127.0.0.1:PORT */
  url: string;
  /** The process that holds the client connections (its RSS is the frontend's memory). */
  frontendPid: number;
  /** The handler processes it started (their children are found from /proc), if any. */
  handlerPids?: number[];
  /**
   * SIGKILL handler process `index` (as a crash would end it), where the stack runs its handlers
   * as separate processes; false when there is no such process or it already exited.
   */
  killHandler?(index: number): boolean;
  stop(): Promise<void>;
}

export interface Stack {
  id: string;
  label: string;
  /** External tools it needs; a stack whose tools are missing is skipped with a note. */
  tools: Tool[];
  /** Why it cannot run now (e.g. the Ferry frontend is not built yet), or undefined. */
  unavailable?(): string | undefined;
  start(options?: StackOptions): Promise<RunningStack>;
}
