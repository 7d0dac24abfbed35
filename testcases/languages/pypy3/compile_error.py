#!/usr/bin/env pypy3
def broken(:
    pass
