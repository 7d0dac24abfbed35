local a = 
print(a
