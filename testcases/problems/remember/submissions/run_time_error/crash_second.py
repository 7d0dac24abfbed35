# Right in pass 1, crashes in pass 2.
words = [input().strip(), input().strip()]  # two lines; no EOF when interactive
if words[0] == "2":
    raise SystemExit(3)
n = int(words[1])
word = ""
while n:
    word = chr(ord("a") + n % 26) + word
    n //= 26
print(word, flush=True)
