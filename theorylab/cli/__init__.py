"""The ``theorylab`` command line: a thin shell over the library.

Each command family lives in its own module with a ``register(subparsers)`` function
that adds its sub-commands and sets ``func(args) -> int`` (the exit code) on them.
"""
