// The tests of a model suite: each recorded regression (regressions.json) replayed, then
// random command sequences from one seed until 100,000 calls have matched the model.
import { readFileSync } from "node:fs";
import fc from "fast-check";

export interface Regression { seed: number; path: string; replayPath: string; note: string }

/** The regressions recorded for each model: `api` (tests/85), `guest` (tests/86). */
export const regressions = JSON.parse(readFileSync(new URL("./regressions.json", import.meta.url), "utf8")) as Record<"api" | "guest", Regression[]>;

export interface ModelRuns<Ts> {
  regressions: readonly Regression[];
  /** The property over random command sequences, made in `dir`; `replayPath` replays one. */
  property(dir: string, replayPath?: string): fc.IRawProperty<Ts>;
  /** What is counted, for the titles and the log ("calls", "guest calls"). */
  what: string;
  /** The calls counted so far; reset before the random runs. */
  calls(): number;
  resetCalls(): void;
  /** Runs of the property per fc.assert. */
  runsPerAssert: number;
  verbose?: fc.VerbosityLevel;
}

/** Declares the model's tests; `dir()` is the suite's temporary folder. */
export function modelTests<Ts>(dir: () => string, model: ModelRuns<Ts>): void {
  for (const regression of model.regressions) {
    it(`regression seed ${regression.seed}: ${regression.note}`, () => {
      fc.assert(model.property(dir(), regression.replayPath), { seed: regression.seed, path: regression.path, endOnFailure: true });
    });
  }

  it(`at least 100,000 random ${model.what}, valid and invalid, all equal to the model`, () => {
    model.resetCalls();
    const seed = Number(process.env.MODEL_SEED ?? Date.now() % 2 ** 31);
    let runs = 0;
    while (model.calls() < 100_000) {
      fc.assert(model.property(dir()), {
        seed: seed + runs, numRuns: model.runsPerAssert, endOnFailure: false, ...(model.verbose !== undefined && { verbose: model.verbose }),
      });
      runs += model.runsPerAssert;
    }
    console.log(`      ${model.calls()} ${model.what} in ${runs} runs from seed ${seed} (MODEL_SEED=${seed} replays them)`);
  });
}
