#!/bin/bash
. "$(dirname "$0")/lib.sh"
assert_eq "$(dmsetup ls)" "No devices found" "clean start"
assert_eq "$(losetup -a)" "" "no loops"
assert_eq "$(pgrep -c sleep || true)" 0 "no leftover sleep"
