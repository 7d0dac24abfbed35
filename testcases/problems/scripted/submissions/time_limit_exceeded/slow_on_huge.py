# Right, but spins forever when n is above 10^15.
n = int(input())
while n > 10**15:
    pass
d = 2
while n % d:
    d += 1
print(d)
