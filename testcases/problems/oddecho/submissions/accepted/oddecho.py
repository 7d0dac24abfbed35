words = open(0).read().split()[1:]
print("\n".join(words[0::2]))
