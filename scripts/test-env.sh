#!/usr/bin/env bash
# What the test suite needs beyond npm: the Python peers we test interoperability against,
# Chromium for the browser tests, PostgreSQL (127.0.0.1:5432, trust auth, database "test")
# and Redis (127.0.0.1:6379). Idempotent: installs and starts only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Debian packages: the Python peers we test interoperability against, Chromium for the
# browser tests, and the database servers for when the machine does not run them already.
want=(python3-oauthlib python3-requests-oauthlib python3-launchpadlib python3-jwt python3-cryptography chromium curl)
command -v pg_ctlcluster >/dev/null 2>&1 || want+=(postgresql)
command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
missing=()
for pkg in "${want[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-env: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "test-env: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Services: PostgreSQL on 127.0.0.1:5432 with trust auth and a database "test"; Redis on 6379.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "test-env: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='test'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -c "create database test" >/dev/null
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test-env: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

