r = float(input())
print(3 * r * r)
