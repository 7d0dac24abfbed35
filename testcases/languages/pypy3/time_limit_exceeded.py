#!/usr/bin/env pypy3
n = 0
while True:
    n += 1
