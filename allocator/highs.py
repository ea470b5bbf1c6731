"""HiGHS helpers for any job: a silent instance with the project's options, and its status in the
project's terms (`allocator.solve.Status`)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import highspy

from allocator.solve import Status


@contextlib.contextmanager
def _stdout_muted() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints a banner when its first instance is made)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(time_limit: float, seed: int = 0) -> highspy.Highs:
    """A silent HiGHS instance with a time limit, proving integer objectives exactly."""
    with _stdout_muted():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", max(0.01, time_limit))
    highs.setOptionValue("random_seed", seed)
    highs.setOptionValue("mip_rel_gap", 0.0)
    return highs


def highs_status(highs: highspy.Highs) -> Status:
    """The project's status for a finished HiGHS run."""
    model_status = highs.getModelStatus()
    if model_status == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE
    if highs.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
        return Status.FEASIBLE
    return Status.UNKNOWN
