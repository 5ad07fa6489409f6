#!/bin/bash
echo "about to crash the kernel"
echo c > /proc/sysrq-trigger
