import type { Candidate } from './strategy.js';

/** Where the router's candidates come from (the coordination service now, the agent pool later). */
export interface CandidateSource {
  /**
   * Candidates with their in-flight counts. `ids` limits the set to those agents (unknown ids
   * are still candidates, with nothing in flight); `requiredCapabilities` keeps only agents
   * that declared all of them.
   */
  candidates(filter: { ids?: readonly string[]; requiredCapabilities?: readonly string[] }): Candidate[];
}
