from divisor import smallest

print(smallest(int(input())))
