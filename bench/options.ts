/** Options every scenario reads (from the command line, see cli.ts). */
export interface BenchOptions {
  durationS: number;
  rounds: number;
  threads: number;
  connections: number;
  warmupS: number;
  /** Clients for the connections scenario (idle keep-alive and long-poll). */
  clients: number;
  /** Requests one TS handler process works on at once in the scaling scenario. */
  capacity: number;
  /**
   * The fixed rate (req/s) of the hello scenario's CPU-per-request runs; 0 leaves them out.
   */
  cpuRate: number;
  /** Run only stacks whose id contains one of these. */
  only: string[];
  /** Profile the Ferry frontends and TS handlers in the hello and flask scenarios (V8 .cpuprofile). */
  profile: boolean;
  /** Where profiles go when `profile` is set (the harness picks it). */
  profileDir?: string;
  log(message: string): void;
}
