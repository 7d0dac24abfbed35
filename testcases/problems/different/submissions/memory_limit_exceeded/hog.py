xs = [0] * (10 ** 8)
print(len(xs))
