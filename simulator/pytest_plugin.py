"""The pytest plugin partners load (entry point ``lefi_sandbox``): fixtures that start a
sandbox for a test suite. The code lives in ``simulator/server/pytest_plugin.py``; this
name stays so that partners' imports and ``pytest_plugins`` lines keep working."""

from simulator.server.pytest_plugin import (
    RunningSandbox,
    lefi_sandbox,
    lefi_sandbox_factory,
    pytest_addoption,
    pytest_configure,
    start_sandbox,
)

__all__ = [
    "RunningSandbox",
    "start_sandbox",
    "lefi_sandbox",
    "lefi_sandbox_factory",
    "pytest_addoption",
    "pytest_configure",
]
