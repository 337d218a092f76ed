"""LEFI sandbox: a test simulator of Försäkringskassan's LEFI Online services."""

__version__ = "0.1.0"
