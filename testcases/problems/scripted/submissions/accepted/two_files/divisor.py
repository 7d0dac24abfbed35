def smallest(n):
    d = 2
    while n % d:
        d += 1
    return d
