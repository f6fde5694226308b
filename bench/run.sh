#!/usr/bin/env bash
# Runs the same workloads on Saturn and its peers on this machine and prints
# one comparison table (see README.md in this directory).
#
#   bench/run.sh                         # Saturn and NATS JetStream, all rows, one run each
#   bench/run.sh --rabbitmq -runs 3      # also RabbitMQ (installed with apt-get if missing)
#   bench/run.sh -sizes 1024 -producers 4 -durability async -extras=false
#
# Options other than --rabbitmq are passed to `compare` (go run ./cmd/compare -h).
# Everything listens on 127.0.0.1 only, in fresh temporary data directories.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
nats_version="v2.15.2"
cache="${SATURN_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/saturn-bench}"
mkdir -p "$cache/bin"

rabbit=0
args=()
for a in "$@"; do
	case "$a" in
	--rabbitmq) rabbit=1 ;;
	*) args+=("$a") ;;
	esac
done

echo "building saturn and the comparison runner" >&2
(cd "$root" && go build -o "$cache/bin/saturn" ./cmd/saturn)
(cd "$here" && go build -o "$cache/bin/compare" ./cmd/compare)

# nats-server: a current one, for sync_interval (Debian's 2.9 lacks it).
nats="$cache/bin/nats-server"
if ! [ -x "$nats" ] || ! "$nats" --version 2>/dev/null | grep -q "$nats_version"; then
	echo "installing nats-server $nats_version into $cache/bin" >&2
	GOBIN="$cache/bin" go install "github.com/nats-io/nats-server/v2@$nats_version"
fi

peers="saturn,nats"
rabbit_bin=/usr/lib/rabbitmq/bin/rabbitmq-server
epmd_before=0
if [ "$rabbit" = 1 ]; then
	if ! [ -x "$rabbit_bin" ]; then
		echo "installing rabbitmq-server with apt-get" >&2
		if [ "$(id -u)" != 0 ]; then
			echo "run.sh: --rabbitmq needs root to install rabbitmq-server (or install it first)" >&2
			exit 1
		fi
		apt-get update -qq
		# Installing must not start the system-wide service.
		DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
	fi
	peers="saturn,nats,rabbitmq"
	if pgrep -x epmd >/dev/null; then epmd_before=1; fi
fi

status=0
"$cache/bin/compare" -saturn "$cache/bin/saturn" -nats-server "$nats" \
	-rabbitmq-server "$rabbit_bin" -peers "$peers" "${args[@]}" || status=$?

# RabbitMQ's nodes start the Erlang port mapper as a daemon; stop it if this
# run started it.
if [ "$rabbit" = 1 ] && [ "$epmd_before" = 0 ] && command -v epmd >/dev/null; then
	epmd -kill >/dev/null 2>&1 || true
fi
exit $status
