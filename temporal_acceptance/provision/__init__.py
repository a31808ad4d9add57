"""Finding or building the binaries a native stack runs, cached per tool and version."""

from temporal_acceptance.provision.binaries import Binaries, provision_all

__all__ = ["Binaries", "provision_all"]
