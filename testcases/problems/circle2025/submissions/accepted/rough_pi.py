# pi to 7 decimals: within a relative error of 1e-6.
r = float(input())
print(3.1415927 * r * r)
