import sys, os, math
print("hello from python", sys.version_info[0], math.isqrt(16), len(os.listdir("/")) > 0)
