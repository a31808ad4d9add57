"""The external target: a deployment the suite did not create, judged read-only."""
