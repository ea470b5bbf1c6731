"""The constraint catalogue: one small named function per rule, registered per problem.

A constraint function adds its rule to a CP-SAT model; a soft one returns its `Penalty` terms and,
where a job solves lexicographically, names its level. The registry is the only list of rules: it is
complete on import (this module imports every rule module at its end), planners build their models
from it, levels and hard/soft sets derive from it, and the meta-tests check that each rule has its pair
of tests (`test_<name>_no_penalty` and `test_<name>_penalty`). Adding a rule is one decorated function
and its test pair.
"""

from allocator.constraints import agenda as _agenda  # noqa: F401  (registers its rules)
from allocator.constraints import caseload as _caseload  # noqa: F401  (registers its rules)
from allocator.constraints import rota as _rota  # noqa: F401  (registers its rules)
from allocator.constraints.registry import (
    REGISTRY,
    ConstraintInfo,
    constraint,
    constraints_of,
    levels_of,
)

__all__ = ["REGISTRY", "ConstraintInfo", "constraint", "constraints_of", "levels_of"]
