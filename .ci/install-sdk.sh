#!/usr/bin/env bash
# install-sdk.sh installs the official Zerobus SDK (Node native core), the
# official Databricks JS SDK, the OpenTelemetry JS SDK with its OTLP
# exporters, and apache-arrow, which the Arrow stream tests build record
# batches with (pinned in
# cmd/zbemu/testdata/sdk/package-lock.json) that the SDK integration tests
# drive through cmd/zbemu/testdata/sdk/driver.js. Idempotent: does nothing
# when the SDK is already installed. Needs node >= 20 and npm.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/cmd/zbemu/testdata/sdk"
sdk="$dir/node_modules/@databricks/zerobus-ingest-sdk-linux-x64-gnu"
jssdk="$dir/node_modules/@databricks/sdk-experimental"
# The OpenTelemetry JS SDK and OTLP exporters (otel.js); the last one
# checked stands for the set installed with it.
otel="$dir/node_modules/@opentelemetry/exporter-metrics-otlp-http"
arrow="$dir/node_modules/apache-arrow"

if [[ -f "$sdk/zerobus-ingest-sdk.linux-x64-gnu.node" && -f "$jssdk/package.json" && -f "$otel/package.json" && -f "$arrow/package.json" ]]; then
	exit 0
fi

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-sdk.sh: $tool not found; the SDK integration tests need Node.js >= 20 and npm" >&2
		exit 1
	fi
done

cd "$dir"
npm ci --no-audit --no-fund
