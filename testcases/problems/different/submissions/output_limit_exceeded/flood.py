import sys

chunk = "7" * (1 << 20) + "\n"
for _ in range(64):
    sys.stdout.write(chunk)
