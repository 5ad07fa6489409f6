#!/bin/bash
. "$(dirname "$0")/lib.sh"
l=$(mkloop 16)
echo "sleeping forever"
sleep 100000
