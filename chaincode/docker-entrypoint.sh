#!/bin/sh
# Entry point of the coffee-export/chaincode image: one chaincode server (fabric-shim's `server`, as
# network/src/nodes/chaincode-server.ts starts it natively), configured by the environment docker-compose.yaml
# gives it:
#   CHAINCODE          coffee-export | user-management
#   CHAINCODE_ADDRESS  listen address, host:port
#   CHAINCODE_ID_FILE  file holding the package id its org's peer installed (written by the init service)
#   CHAINCODE_TLS_DIR  server.crt, server.key and ca.crt (the org's TLS CA, which signed its peer's certificate)
set -eu
: "${CHAINCODE:?set CHAINCODE to coffee-export or user-management}"
: "${CHAINCODE_ADDRESS:?set CHAINCODE_ADDRESS (host:port to listen on)}"
: "${CHAINCODE_ID_FILE:?set CHAINCODE_ID_FILE (the package id file the init service writes)}"
: "${CHAINCODE_TLS_DIR:?set CHAINCODE_TLS_DIR (server.crt, server.key, ca.crt)}"
case "$CHAINCODE" in
  coffee-export | user-management) ;;
  *)
    echo "error: CHAINCODE must be coffee-export or user-management, got '$CHAINCODE'" >&2
    exit 2
    ;;
esac
if [ ! -s "$CHAINCODE_ID_FILE" ]; then
  echo "error: $CHAINCODE_ID_FILE is missing or empty: the init service writes it (docker compose up runs it first)" >&2
  exit 1
fi
id=$(cat "$CHAINCODE_ID_FILE")
exec node /app/node_modules/fabric-shim/cli.js server \
  --chaincode-address="$CHAINCODE_ADDRESS" \
  --chaincode-id="$id" \
  --chaincode-tls-cert-file="$CHAINCODE_TLS_DIR/server.crt" \
  --chaincode-tls-key-file="$CHAINCODE_TLS_DIR/server.key" \
  --chaincode-tls-client-cacert-file="$CHAINCODE_TLS_DIR/ca.crt" \
  --module-path="/app/chaincode/$CHAINCODE"
