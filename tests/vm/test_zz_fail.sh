#!/bin/bash
. "$(dirname "$0")/lib.sh"
l=$(mkloop 16)
dm_create zzfail "0 $(sectors $l) linear $l 0"
log "made zzfail on $l"
dmsetup table zzfail > /tmp/t
assert_contains /tmp/t 'striped'
