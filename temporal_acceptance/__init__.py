"""Acceptance suite for Temporal + PostgreSQL deployments.

The package holds everything the behave steps call: provisioning of binaries, the Stack
implementations (native, compose, external), the test workload, checks and reporting.
"""

__version__ = "0.1.0"
