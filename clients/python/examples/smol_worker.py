"""A worker wrapping a smolagents-style agent: any object with a blocking ``run(task) -> str``.

    COORDD_URL=ws://127.0.0.1:7420/rpc python -m coordd.worker smol_worker:worker

With smolagents installed, replace ``StepAgent`` by e.g. ``CodeAgent(tools=[], model=...)``: its
``agent.run`` blocks, so the handler is a plain function that the worker runs in a thread, and
it checks ``ctx.cancelled`` between steps (smolagents' ``step_callbacks`` are the place for that).
The stand-in below needs no model weights: it "thinks" in a few steps and reports progress.
"""

import time
from collections.abc import Callable

from pydantic import BaseModel

from coordd import AgentWorker, TaskContext

worker = AgentWorker(name="smol", type="smolagents", capabilities=["summarize"], capacity=2)


class StepAgent:
    """A stand-in for a smolagents agent: ``run(task)`` takes a few blocking steps."""

    def __init__(self, steps: int = 3, step_seconds: float = 0.05) -> None:
        self.steps = steps
        self.step_seconds = step_seconds
        self.step_callbacks: list[Callable[[int], None]] = []

    def run(self, task: str) -> str:
        for step in range(1, self.steps + 1):
            time.sleep(self.step_seconds)  # a model call
            for callback in self.step_callbacks:
                callback(step)
        words = task.split()
        return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


class Summarize(BaseModel):
    text: str
    steps: int = 3


@worker.task("summarize")
def summarize(payload: Summarize, ctx: TaskContext) -> dict[str, str]:
    agent = StepAgent(steps=payload.steps)

    def on_step(step: int) -> None:
        ctx.progress(step / payload.steps, f"step {step}")
        ctx.check_cancelled()  # raises TaskCancelled: the agent stops at the next step

    agent.step_callbacks.append(on_step)
    return {"summary": agent.run(payload.text)}


if __name__ == "__main__":
    worker.run()
