#!/bin/sh
# Namespace job: registers the namespace workers use (the server does not create one) once
# the frontend answers. Harmless when the namespace exists already.
# Environment: TEMPORAL_ADDRESS (host:port), DEFAULT_NAMESPACE, RETENTION (default 72h).
set -eu
address=${TEMPORAL_ADDRESS:-temporal:7233}
namespace=${DEFAULT_NAMESPACE:-default}

# The healthcheck only saw the port open: give the frontend up to a minute to serve.
deadline=$(( $(date +%s) + 60 ))
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "namespace job: the frontend at $address did not become healthy within 60s" >&2
        temporal operator cluster health --address "$address" >&2 || true
        exit 1
    fi
    sleep 1
done

if temporal operator namespace describe --namespace "$namespace" --address "$address" >/dev/null 2>&1; then
    echo "namespace job: $namespace exists"
else
    temporal operator namespace create --namespace "$namespace" \
        --retention "${RETENTION:-72h}" --address "$address"
    echo "namespace job: $namespace registered"
fi
