# Accepted: main.py is the entry point of a directory; it imports a package beside it.
import sys

from lib.distance import between

for line in sys.stdin:
    parts = line.split()
    if parts:
        print(between(int(parts[0]), int(parts[1])))
