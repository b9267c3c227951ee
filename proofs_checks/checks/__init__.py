"""Check modules, one per claim or small family of claims; discovered automatically.

Each module declares its checks with :func:`proofs_checks.check.check`. Modules whose name
starts with ``_`` are helpers and are not imported by discovery.
"""
