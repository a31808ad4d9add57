#!/bin/sh
# temporal-server entrypoint of the temporal-acceptance local image: the server reads its
# configuration from the environment (embedded template); this script only fills in the
# addresses the official image derives from the container's own name.
set -eu

container_ip() { hostname -i | tr ' ' '\n' | grep -v '^$' | head -n 1; }

if [ -z "${BIND_ON_IP:-}" ]; then
    BIND_ON_IP=$(container_ip)
fi
export BIND_ON_IP
# Listening on every interface: tell the other roles which address reaches this one.
case "$BIND_ON_IP" in
    0.0.0.0 | ::0 | ::)
        if [ -z "${TEMPORAL_BROADCAST_ADDRESS:-}" ]; then
            TEMPORAL_BROADCAST_ADDRESS=$(container_ip)
        fi
        export TEMPORAL_BROADCAST_ADDRESS
        ;;
esac

exec temporal-server start "$@"
