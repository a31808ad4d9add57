"""The compose target: docker-compose.yml driven by the Compose CLI and the docker SDK."""
