// The tests of a model suite: each recorded regression (regressions.json) replayed, then
// random command sequences from one seed until a budget of calls (100,000 unless told)
// have matched the model.
import { readFileSync } from "node:fs";
import fc from "fast-check";

export interface Regression {
  seed: number; path: string; replayPath: string; note: string;
  /** tests/86: how guest mappings were made when it was found ("auto" if absent), and whether version 2's commands ran. */
  guestMappings?: "auto" | "copy"; version?: 1 | 2;
}

/** The regressions recorded for each model: `api` (tests/85), `guest` (tests/86). */
export const regressions = JSON.parse(readFileSync(new URL("./regressions.json", import.meta.url), "utf8")) as Record<"api" | "guest", Regression[]>;

export interface ModelRuns<Ts> {
  regressions: readonly Regression[];
  /** The property over random command sequences, made in `dir`; `regression` replays one. */
  property(dir: string, regression?: Regression): fc.IRawProperty<Ts>;
  /** What is counted, for the titles and the log ("calls", "guest calls"). */
  what: string;
  /** The calls counted so far; reset before the random runs. */
  calls(): number;
  resetCalls(): void;
  /** Runs of the property per fc.assert. */
  runsPerAssert: number;
  /** The calls the random runs make at least (100,000 unless told). */
  budget?: number;
  verbose?: fc.VerbosityLevel;
}

/** Declares the model's tests; `dir()` is the suite's temporary folder. */
export function modelTests<Ts>(dir: () => string, model: ModelRuns<Ts>): void {
  for (const regression of model.regressions) {
    it(`regression seed ${regression.seed}: ${regression.note}`, () => {
      fc.assert(model.property(dir(), regression), { seed: regression.seed, path: regression.path, endOnFailure: true });
    });
  }

  const budget = model.budget ?? 100_000;
  it(`at least ${budget.toLocaleString("en-US")} random ${model.what}, valid and invalid, all equal to the model`, () => {
    model.resetCalls();
    const seed = Number(process.env.MODEL_SEED ?? Date.now() % 2 ** 31);
    let runs = 0;
    while (model.calls() < budget) {
      fc.assert(model.property(dir()), {
        seed: seed + runs, numRuns: model.runsPerAssert, endOnFailure: false, ...(model.verbose !== undefined && { verbose: model.verbose }),
      });
      runs += model.runsPerAssert;
    }
    console.log(`      ${model.calls()} ${model.what} in ${runs} runs from seed ${seed} (MODEL_SEED=${seed} replays them)`);
  });
}
