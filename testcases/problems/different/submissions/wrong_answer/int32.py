import sys

# Truncates to 32 bits, as a C int would.
for line in sys.stdin:
    a, b = map(int, line.split())
    print(abs(a - b) % (1 << 31))
