# Guesses 500 every time: right only when the number is 500.
while True:
    print(500, flush=True)
    try:
        if input().strip() == "correct":
            break
    except EOFError:
        break
