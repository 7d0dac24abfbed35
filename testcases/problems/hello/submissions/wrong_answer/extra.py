print("Hello World!")
print("and more")
