# Prints one word: never N words, so never accepted.
words = open(0).read().split()[1:]
print(words[-1])
