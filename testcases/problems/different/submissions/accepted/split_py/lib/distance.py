def between(a, b):
    return abs(a - b)
