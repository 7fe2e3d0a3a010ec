"""Constrained supply planning: a PuLP model assembled from planning data, like PyPSA's.

Modules: data (inputs into indexed frames), build (the model's define_* families), lot_cuts and
lot_start (tightening and a first plan for the lot-size MILP), mip_search and kept_start (its
search, and its start kept as the plan when no search fits), solvers (HiGHS and CBC
adapters), solve (the demand-first orchestration), whole_units and pack_choice (the plan
rounded to whole packs after the solve), tables (the Supply tab's tables) and explain
(shortfalls, bottlenecks, slacks).
"""

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
