"""Stacks: one interface over native processes, compose containers and external deployments."""

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.stack.base import Service, Stack

__all__ = ["Endpoints", "Service", "Stack"]
