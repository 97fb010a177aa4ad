from . import mlml_bounds_override
