#!/usr/bin/env bash
# From a fresh clone to a built image: installs what tsbuild needs, builds it, builds examples/hello.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for p in busybox-static runc attr; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
npm ci --no-audit --no-fund
npm run build

out=${1:-hello.oci.tar}
./bin/tsbuild.js build --build-context busybox=/bin -t hello:1 --output "type=oci,dest=$out" examples/hello
echo "built hello:1 into the local store and $out"
