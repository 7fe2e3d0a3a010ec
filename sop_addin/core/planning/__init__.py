"""Constrained supply planning: a PuLP model assembled from planning data, like PyPSA's."""

from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.data import PlanningData, prepare_planning_data
from sop_addin.core.planning.solve import PlanResult, SolverOptions, solve_plan

__all__ = [
    "PlanResult",
    "PlanningData",
    "SolverOptions",
    "create_model",
    "prepare_planning_data",
    "solve_plan",
]
