"""Stacks: one interface over native processes, compose containers and external deployments."""

from temporal_acceptance.stack.base import Endpoints, Service, Stack

__all__ = ["Endpoints", "Service", "Stack"]
