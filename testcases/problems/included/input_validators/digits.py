# Input validator: the line is digits only (no sign, no spaces). Exit 42 accepts, 43 rejects.
import sys

text = sys.stdin.read()
if not text.endswith("\n") or not text[:-1].isdigit():
    print("not a line of digits", file=sys.stderr)
    sys.exit(43)
sys.exit(42)
