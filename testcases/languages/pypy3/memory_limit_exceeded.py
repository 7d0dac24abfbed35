#!/usr/bin/env pypy3
kept = []
while True:
    kept.append(bytearray(10 ** 7))
