#!/bin/bash
. "$(dirname "$0")/lib.sh"
skip "no multipath hardware here"
