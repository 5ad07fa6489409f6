#!/bin/bash
# no lib: leaves things behind on purpose
truncate -s 16M /tmp/leak; l=$(losetup -f --show /tmp/leak)
dmsetup create zzleak --table "0 32768 linear $l 0"
sleep 1000 &
echo leaked
