/**
 * Ends `fit` before a wall-clock budget runs out: after each epoch, if one more epoch (at the
 * slowest pace seen so far) would pass the budget, training stops there. Not in the seeds, which
 * ran on a GPU with 1000 epochs as the cap; here it keeps a full run under 30 minutes on 2 cores.
 * EarlyStopping (listed before it) still restores the best weights when training ends.
 */
import type { Callback, CallbackModel } from '@seqlab/layers';

export class TimeBudget implements Callback {
  private model: CallbackModel | null = null;
  private start = 0;
  private epochStart = 0;
  private slowest = 0;
  /** The epoch (0-based) after which the budget stopped training, or -1. */
  stoppedEpoch = -1;

  constructor(private readonly seconds: number, private readonly log: (s: string) => void = () => {}) {}

  setModel(model: CallbackModel): void {
    this.model = model;
  }
  onTrainBegin(): void {
    this.start = Date.now();
    this.stoppedEpoch = -1;
  }
  onEpochBegin(): void {
    this.epochStart = Date.now();
  }
  onEpochEnd(epoch: number): void {
    const now = Date.now();
    this.slowest = Math.max(this.slowest, (now - this.epochStart) / 1000);
    const elapsed = (now - this.start) / 1000;
    if (this.model && !this.model.stopTraining && elapsed + this.slowest > this.seconds) {
      this.model.stopTraining = true;
      this.stoppedEpoch = epoch;
      this.log(`Epoch ${epoch + 1}: stopping, another epoch (~${Math.round(this.slowest)}s) would pass the ${+(this.seconds / 60).toFixed(1)}-minute training budget.`);
    }
  }
}
