"""Gates that wait on the deployment, then judge: each returns its problems."""
