#!/usr/bin/env pypy3
raise SystemExit(3)
