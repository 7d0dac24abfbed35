# Pass 1 writes n in base 26 with the letters a-z; pass 2 reads it back.
words = [input().strip(), input().strip()]  # two lines; no EOF when interactive
if words[0] == "1":
    n = int(words[1])
    word = ""
    while n:
        word = chr(ord("a") + n % 26) + word
        n //= 26
    print(word, flush=True)
else:
    n = 0
    for c in words[1]:
        n = n * 26 + ord(c) - ord("a")
    print(n, flush=True)
