#!/usr/bin/env bash
# Installs what `npm run traffic` needs beyond npm on a fresh Debian machine: the client libraries
# Debian ships for its Python, Ruby, Perl and PHP services (python3-redis, ruby-redis,
# libredis-perl, php-redis with php-cli). The Node libraries come from `npm ci`. Idempotent: installs
# only what is missing, and does nothing (not even apt-get update) when all are present.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)
ruby -e 'require "redis"' >/dev/null 2>&1 || missing+=(ruby-redis)
perl -MRedis -e 1 >/dev/null 2>&1 || missing+=(libredis-perl)
php -r 'exit(extension_loaded("redis") ? 0 : 1);' >/dev/null 2>&1 || missing+=(php-cli php-redis)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "provision-traffic: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "provision-traffic: redis-py $(/usr/bin/python3 -c 'import redis; print(redis.__version__)')," \
  "redis-rb $(ruby -e 'require "redis"; print Redis::VERSION')," \
  "Redis.pm $(perl -MRedis -e 'print $Redis::VERSION')," \
  "phpredis $(php -r 'echo phpversion("redis");')"
