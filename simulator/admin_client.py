"""The admin API's client for partners' scripts and test suites. The code lives in
``simulator/control/client.py``; this name stays so that partners' imports keep working."""

from simulator.control.client import AdminClient, AdminError

__all__ = ["AdminClient", "AdminError"]
