#!/bin/busybox sh
echo "$GREETING, ${1:-nobody}"
