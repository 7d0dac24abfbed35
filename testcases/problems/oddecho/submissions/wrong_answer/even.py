# Echoes the even-numbered words instead: wrong on every test.
words = open(0).read().split()[1:]
print("\n".join(words[1::2]))
