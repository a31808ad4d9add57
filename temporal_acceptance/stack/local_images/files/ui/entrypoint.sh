#!/bin/sh
# Temporal UI entrypoint of the temporal-acceptance local image: the UI server renders
# config/docker.yaml (a template over TEMPORAL_* variables) itself.
set -eu
exec ./ui-server --env docker start "$@"
