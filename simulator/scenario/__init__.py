"""Scenarios: the YAML files that define organisations, persons and behaviours."""
