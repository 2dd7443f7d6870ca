from helpers import each_isa, threads  # noqa: F401  (fixtures)
