# A word in pass 1, then the wrong number in pass 2.
words = [input().strip(), input().strip()]  # two lines; no EOF when interactive
print("abc" if words[0] == "1" else 0, flush=True)
