# A different pair than the answer file: only a custom validator accepts it.
n = int(input())
print(n // 2, n - n // 2)
